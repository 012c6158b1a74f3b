import CShims
import LabelmillCore

/// A square RGB thumbnail of a PNG or JPEG, decoded by libpng or libturbojpeg
/// in C (their longjmps stay there): what the `builtin` embedder of SPEC
/// section 7 computes its features from.
public enum Thumbnail {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// side * side * 3 bytes, rows top to bottom, RGB.
    public static func rgb(of bytes: [UInt8], side: Int = BuiltinEmbedding.side) throws(Failure) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: side * side * 3)
        var info = lm_image_info()
        let code = bytes.withUnsafeBufferPointer { data in
            out.withUnsafeMutableBufferPointer { lm_thumbnail(data.baseAddress, data.count, Int32(side), $0.baseAddress, &info) }
        }
        guard code == Int32(LM_IMAGE_OK) else {
            let detail = withUnsafeBytes(of: info.message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            throw Failure(description: "no thumbnail: \(detail)")
        }
        return out
    }
}
