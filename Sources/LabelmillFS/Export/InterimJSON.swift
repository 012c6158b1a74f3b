import Foundation
import LabelmillCore

/// JSON reading for the export until the strict parser is on main.
enum InterimJSON {
    // TODO: StrictJSON — replace the body with `try StrictJSON.parse(bytes).value`
    // (and `ProjectSettings(bytes:)` in `OutboxPages.settings`) once it lands.
    static func decode(_ bytes: [UInt8]) throws -> JSONValue {
        func convert(_ any: Any) -> JSONValue {
            // Containers first: asking a Swift dictionary whether it is an NSNumber bridges it.
            switch any {
            case let d as [String: Any]: return .object(d.keys.sorted().map { ($0, convert(d[$0]!)) })
            case let a as [Any]: return .array(a.map(convert))
            case let s as String: return .string(s)
            case let n as NSNumber: return .number(n.doubleValue)
            default: return .null
            }
        }
        return convert(try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed]))
    }
}
