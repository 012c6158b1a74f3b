/// The arguments of the labeler verbs (SPEC section 4), parsed without the page:
/// what a command line can say before page.json is read.

/// A tag by name, or by its number key (1-9 are the page's first nine tags, as on
/// Azure ML's labeling screen).
public enum TagChoice: Sendable, Equatable {
    case name(String)
    case key(Int)

    public static let keys = 1...9
}

/// Which images of a page a tag applies to.
public enum ImageSelection: Sendable, Equatable {
    case all
    /// Each a 1-based index or a file name, in the order given.
    case some([String])
}

/// Where a new box goes: a full rectangle, or a top-left corner with the size of
/// the page's most recent box.
public enum BoxPlacement: Sendable, Equatable {
    case rect(Box)
    case template(Point)
}

/// A command-line value that is not in the expected form; the command reports it
/// as a usage error.
public struct LabelingArgumentError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

public enum LabelingInput {
    /// `X,Y,W,H`, e.g. `10,20,50,40`.
    public static func rect(_ text: String) throws(LabelingArgumentError) -> Box {
        let n = try numbers(text, count: 4, form: "X,Y,W,H (four numbers, like 10,20,50,40)", option: "--rect")
        return Box(x: n[0], y: n[1], width: n[2], height: n[3])
    }

    /// `X,Y`, e.g. `10,20`.
    public static func point(_ text: String, option: String) throws(LabelingArgumentError) -> Point {
        let n = try numbers(text, count: 2, form: "X,Y (two numbers, like 10,20)", option: option)
        return Point(x: n[0], y: n[1])
    }

    /// `"X,Y X,Y X,Y ..."`: points separated by spaces.
    public static func points(_ text: String) throws(LabelingArgumentError) -> [Point] {
        let parts = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" })
        guard !parts.isEmpty else {
            throw LabelingArgumentError("--points needs points like \"10,10 50,12 30,40\"")
        }
        var out: [Point] = []
        for (k, part) in parts.enumerated() {
            do {
                out.append(try point(String(part), option: "--points"))
            } catch {
                throw LabelingArgumentError("point \(k + 1) of --points, \"\(part)\", is not X,Y; write points like \"10,10 50,12 30,40\"")
            }
        }
        return out
    }

    /// `1,3` or `a.png,4`: image indices or file names separated by commas.
    public static func images(_ text: String) throws(LabelingArgumentError) -> [String] {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingSpaces }
        guard !parts.contains(where: \.isEmpty) else {
            throw LabelingArgumentError("--images takes image numbers or file names separated by commas, like 1,3; \"\(text)\" has an empty one")
        }
        return parts
    }

    /// The number key as given: 1 to 9.
    public static func key(_ n: Int) throws(LabelingArgumentError) {
        guard TagChoice.keys.contains(n) else {
            throw LabelingArgumentError("--key \(n): the keys are 1 to 9 (the page's first nine tags); use --tag NAME for the others")
        }
    }

    static func numbers(_ text: String, count: Int, form: String, option: String) throws(LabelingArgumentError) -> [Double] {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingSpaces }
        var out: [Double] = []
        for part in parts {
            guard let n = Double(part), n.isFinite, part.first != "+" else {
                throw LabelingArgumentError("\(option) \"\(text)\": expected \(form)")
            }
            out.append(n)
        }
        guard out.count == count else { throw LabelingArgumentError("\(option) \"\(text)\": expected \(form)") }
        return out
    }
}

extension Substring {
    var trimmingSpaces: String {
        String(drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
    }
}
