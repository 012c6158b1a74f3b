/// The embeddings of a project's images as the daemon keeps them under
/// `.labelmill/` (SPEC section 7): one line per image, appended once,
/// never rewritten, so each image is embedded once and a `kill -9` can cut
/// only the last line.
///
///     <sha256, 64 hex> <values: base64 of little-endian Float16> <crc32 of both, 8 hex>\n
///
/// Half precision keeps a 448-value builtin embedding in 1.2 KB of text and
/// a 1280-value CNN one in 3.4 KB, and is finer than anything the clustering
/// or the classifier can tell apart. A line that is cut, damaged or of
/// another length is skipped, and what follows it still counts.
public enum EmbeddingLog {
    /// The log of one embedder, under `.labelmill/assist/<project>/`:
    /// `embeddings.log` for the builtin features, `embeddings-predictor-<8 hex>.log`
    /// for a predictor, the hex a CRC-32 of its command (another command is
    /// another model, whose vectors do not mix with these).
    public static func fileName(predictorCommand: [String]?) -> String {
        guard let command = predictorCommand else { return "embeddings.log" }
        return "embeddings-predictor-\(hex8(CRC32.checksum(command.joined(separator: "\u{0}").utf8))).log"
    }

    /// One image's line, with its newline.
    public static func line(sha256: String, vector: [Double]) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(vector.count * 2)
        for value in vector {
            let half = Float16(Float(value.isFinite ? value : 0))
            let bits = half.bitPattern
            bytes.append(UInt8(bits & 0xFF))
            bytes.append(UInt8(bits >> 8))
        }
        let body = sha256 + " " + Base64.encode(bytes)
        return body + " " + hex8(CRC32.checksum(body.utf8)) + "\n"
    }

    /// Every whole line's vector by SHA-256 (the first line of an image wins),
    /// and how many lines were skipped: damaged, of another dimension, or the
    /// last one cut short (no newline) by a stop. With `only`, the vectors of
    /// those images alone (the others' lines are not decoded). `dimensions`
    /// nil: the length of the first whole line (a predictor's, learned).
    public static func read(_ text: [UInt8], dimensions: Int?, only: Set<String>? = nil) -> (vectors: [String: [Double]], skipped: Int) {
        var dimensions = dimensions
        var vectors: [String: [Double]] = [:]
        var skipped = 0
        var start = 0
        for end in text.indices where text[end] == 10 {
            defer { start = end + 1 }
            guard end > start else { continue }
            if let only, end - start > 64, !only.contains(String(decoding: text[start..<start + 64], as: UTF8.self)) { continue }
            guard let (sha, vector) = parse(Array(text[start..<end])), vector.count == (dimensions ?? vector.count) else { skipped += 1; continue }
            dimensions = vector.count
            if vectors[sha] == nil { vectors[sha] = vector }
        }
        if start < text.count { skipped += 1 }
        return (vectors, skipped)
    }

    /// The length of the first whole line's vector; nil when there is none.
    public static func firstDimensions(_ text: [UInt8]) -> Int? {
        var start = 0
        for end in text.indices where text[end] == 10 {
            defer { start = end + 1 }
            if end > start, let (_, vector) = parse(Array(text[start..<end])) { return vector.count }
        }
        return nil
    }

    static func parse(_ line: [UInt8]) -> (sha: String, vector: [Double])? {
        let parts = line.split(separator: 32, omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 64, parts[0].allSatisfy(isLowerHex), parts[2].count == 8 else { return nil }
        let body = Array(line[..<(parts[0].count + 1 + parts[1].count)])
        guard let crc = UInt32(String(decoding: parts[2], as: UTF8.self), radix: 16), crc == CRC32.checksum(body),
              let bytes = Base64.decode(Array(parts[1])), bytes.count % 2 == 0 else { return nil }
        var vector: [Double] = []
        vector.reserveCapacity(bytes.count / 2)
        for i in stride(from: 0, to: bytes.count, by: 2) {
            vector.append(Double(Float(Float16(bitPattern: UInt16(bytes[i]) | UInt16(bytes[i + 1]) << 8))))
        }
        return (String(decoding: parts[0], as: UTF8.self), vector)
    }

    static func isLowerHex(_ c: UInt8) -> Bool { (48...57).contains(c) || (97...102).contains(c) }

    static func hex8(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 8 - digits.count) + digits
    }
}

/// CRC-32 (IEEE, as zlib and PNG use it).
public enum CRC32 {
    static let table: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    public static func checksum(_ bytes: some Sequence<UInt8>) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes { c = table[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        return c ^ 0xFFFF_FFFF
    }
}

/// Standard base64 (RFC 4648, with padding).
public enum Base64 {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    static let values: [Int8] = {
        var v = [Int8](repeating: -1, count: 256)
        for (i, c) in alphabet.enumerated() { v[Int(c)] = Int8(i) }
        return v
    }()

    public static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var i = 0
        while i < bytes.count {
            let n = min(3, bytes.count - i)
            let b0 = UInt32(bytes[i]), b1 = n > 1 ? UInt32(bytes[i + 1]) : 0, b2 = n > 2 ? UInt32(bytes[i + 2]) : 0
            let triple = b0 << 16 | b1 << 8 | b2
            out.append(alphabet[Int(triple >> 18 & 63)])
            out.append(alphabet[Int(triple >> 12 & 63)])
            out.append(n > 1 ? alphabet[Int(triple >> 6 & 63)] : 61)
            out.append(n > 2 ? alphabet[Int(triple & 63)] : 61)
            i += 3
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Nil unless the text is whole base64 (length a multiple of 4, padding only at the end).
    public static func decode(_ text: [UInt8]) -> [UInt8]? {
        guard text.count % 4 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(text.count / 4 * 3)
        for start in stride(from: 0, to: text.count, by: 4) {
            let quad = text[start..<(start + 4)]
            let padding = quad.reversed().prefix { $0 == 61 }.count
            guard padding <= 2, start + 4 == text.count || padding == 0 else { return nil }
            var triple: UInt32 = 0
            for (k, c) in quad.enumerated() {
                let v = k < 4 - padding ? values[Int(c)] : 0
                guard v >= 0 else { return nil }
                triple |= UInt32(v) << (18 - 6 * UInt32(k))
            }
            out.append(UInt8(triple >> 16 & 0xFF))
            if padding < 2 { out.append(UInt8(triple >> 8 & 0xFF)) }
            if padding < 1 { out.append(UInt8(triple & 0xFF)) }
        }
        return out
    }
}
