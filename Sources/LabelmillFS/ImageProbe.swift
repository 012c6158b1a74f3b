import CShims

/// The image formats labelmill takes.
public enum ImageKind: String, Sendable {
    case png, jpeg
}

/// What a whole, decodable image is.
public struct ImageFacts: Sendable, Equatable {
    public var kind: ImageKind
    public var width: Int
    public var height: Int

    public init(kind: ImageKind, width: Int, height: Int) {
        self.kind = kind
        self.width = width
        self.height = height
    }
}

/// Why a file is not taken, in plain words: it goes into `NAME.reason.txt`.
public struct ImageRefusal: Error, Sendable, Equatable {
    public var reason: String

    public init(reason: String) {
        self.reason = reason
    }
}

/// Decides whether bytes are a whole, decodable PNG or JPEG. Never traps and
/// never hangs on any input; work and memory are bounded by the image's size.
public enum ImageProbe {
    public static let maxPixels: UInt64 = 100_000_000
    /// No side may be longer than this, whatever the pixel count (a PNG row is decoded in one buffer).
    public static let maxSide: UInt64 = UInt64(LM_MAX_SIDE)

    /// Type by magic bytes, not extension. Recognizes other image types,
    /// documents, archives and text to refuse them by name; PNG and JPEG go
    /// through the C checks (structure, checksums, full decode).
    ///
    /// PNG: every chunk CRC and the IDAT zlib stream must be right; damaged or
    /// missing ancillary chunks (text, colour profiles) are ignored, bytes after
    /// IEND too. JPEG has no checksum, so damage shows only as a decoder
    /// warning ("bad Huffman code", "premature end of data segment"): any such
    /// warning refuses the file, since the decoder had to guess pixels. Stray
    /// bytes between segments (libjpeg's "extraneous bytes" warning) are
    /// harmless and accepted, as are bytes after EOI (phones append videos).
    /// Memory: a PNG row or two, a JPEG at 1/8 scale; a progressive JPEG also
    /// holds its coefficients (about 3 bytes per pixel, 300 MB at 100 megapixels).
    public static func inspect(_ bytes: UnsafeRawBufferPointer) -> Result<ImageFacts, ImageRefusal> {
        guard let base = bytes.baseAddress, bytes.count > 0 else {
            return refuse("empty file: it has no bytes; copy the image again")
        }
        let head = Array(bytes.prefix(300))
        if head.starts(with: [0x89, 0x50, 0x4E, 0x47]) {
            return check(.png, base.assumingMemoryBound(to: UInt8.self), bytes.count)
        }
        if head.starts(with: [0xFF, 0xD8]) {
            return check(.jpeg, base.assumingMemoryBound(to: UInt8.self), bytes.count)
        }
        if let foreign = foreignType(head) {
            switch foreign {
            case .image(let name):
                return refuse("unsupported image type \(name); convert it to PNG or JPEG")
            case .other(let what, let advice):
                return refuse("not an image: the file is \(what); \(advice)")
            }
        }
        if let text = textStart(bytes) {
            if text.lowercased().contains("<svg") {
                return refuse("unsupported image type SVG; convert it to PNG or JPEG")
            }
            return refuse("not an image: the file starts with text (\"\(excerpt(text))\"); only PNG and JPEG images are taken")
        }
        let shown = head.prefix(4).map { hex($0) }.joined(separator: " ")
        return refuse("not an image: the file starts with the bytes \(shown), which is not a PNG or JPEG; only PNG and JPEG images are taken")
    }

    private static func refuse(_ reason: String) -> Result<ImageFacts, ImageRefusal> {
        .failure(ImageRefusal(reason: reason))
    }

    // MARK: PNG and JPEG

    private static func check(_ kind: ImageKind, _ data: UnsafePointer<UInt8>, _ count: Int) -> Result<ImageFacts, ImageRefusal> {
        var info = lm_image_info()
        let code: Int32
        switch kind {
        case .png: code = lm_check_png(data, count, maxPixels, &info)
        case .jpeg: code = lm_check_jpeg(data, count, maxPixels, &info)
        }
        let name = kind == .png ? "PNG" : "JPEG"
        let detail = withUnsafeBytes(of: info.message) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        let width = UInt64(info.width), height = UInt64(info.height)
        switch Int(code) {
        case Int(LM_IMAGE_OK):
            return .success(ImageFacts(kind: kind, width: Int(width), height: Int(height)))
        case Int(LM_IMAGE_TRUNCATED):
            return refuse("truncated \(name): \(detail); copy the file again")
        case Int(LM_IMAGE_TOO_LARGE):
            if width * height > maxPixels {
                return refuse("image is \(width) x \(height) pixels (\(megapixels(width * height)) megapixels), over the \(maxPixels / 1_000_000) megapixel limit; scale it down")
            }
            if width > maxSide || height > maxSide {
                return refuse("image is \(width) x \(height) pixels, and sides over \(maxSide) pixels are not taken; scale it down or cut it into tiles")
            }
            return refuse("\(name) image could not be checked: \(detail); try again later or scale it down")
        case Int(LM_IMAGE_UNSUPPORTED):
            return refuse("unsupported kind of \(name): \(detail); save it again as a standard PNG or JPEG")
        default:
            return refuse("corrupt \(name): \(detail); save or export the image again")
        }
    }

    /// Megapixels rounded up to hundredths, so a count just over the limit never reads as the limit.
    static func megapixels(_ pixels: UInt64) -> String {
        let hundredths = (pixels + 9_999) / 10_000
        let whole = hundredths / 100, fraction = hundredths % 100
        if fraction == 0 { return "\(whole)" }
        if fraction % 10 == 0 { return "\(whole).\(fraction / 10)" }
        return "\(whole).\(fraction < 10 ? "0" : "")\(fraction)"
    }

    // MARK: Everything else

    private enum Foreign {
        case image(String)
        case other(String, String)
    }

    private static let takenOnly = "only PNG and JPEG images are taken"

    private static func foreignType(_ h: [UInt8]) -> Foreign? {
        func at(_ offset: Int, _ ascii: String) -> Bool {
            let expected = Array(ascii.utf8)
            return h.count >= offset + expected.count && Array(h[offset..<offset + expected.count]) == expected
        }
        func starts(_ bytes: [UInt8]) -> Bool { h.starts(with: bytes) }

        if at(0, "GIF87a") || at(0, "GIF89a") { return .image("GIF") }
        if at(0, "RIFF") && at(8, "WEBP") { return .image("WebP") }
        if at(0, "BM") && h.count >= 18 {
            let header = UInt32(h[14]) | UInt32(h[15]) << 8 | UInt32(h[16]) << 16 | UInt32(h[17]) << 24
            if [12, 16, 40, 52, 56, 64, 108, 124].contains(header) { return .image("BMP") }
        }
        if starts([0x49, 0x49, 0x2A, 0x00]) || starts([0x4D, 0x4D, 0x00, 0x2A])
            || starts([0x49, 0x49, 0x2B, 0x00]) || starts([0x4D, 0x4D, 0x00, 0x2B]) {
            return .image("TIFF (or a camera raw file)")
        }
        if at(4, "ftyp"), let brand = isoBrand(h) { return brand }
        if starts([0xFF, 0x0A]) || (starts([0, 0, 0, 0x0C]) && at(4, "JXL ")) { return .image("JPEG XL") }
        if (starts([0, 0, 0, 0x0C]) && at(4, "jP  ")) || starts([0xFF, 0x4F, 0xFF, 0x51]) { return .image("JPEG 2000") }
        if at(0, "8BPS") { return .image("Photoshop (PSD)") }
        if at(0, "qoif") { return .image("QOI") }
        if starts([0x76, 0x2F, 0x31, 0x01]) { return .image("OpenEXR") }
        if starts([0, 0, 1, 0]) && h.count >= 22 && h[4] != 0 && h[5] == 0 && (h[9] == 0 || h[9] == 0xFF) {
            return .image("ICO (Windows icon)")
        }
        if at(0, "%PDF-") { return .other("a PDF document", "export its pages as PNG or JPEG images") }
        if starts([0x50, 0x4B, 0x03, 0x04]) || starts([0x50, 0x4B, 0x05, 0x06]) {
            return .other("a ZIP archive", "unpack it and drop the images themselves")
        }
        if starts([0x1F, 0x8B]) { return .other("a gzip archive", "unpack it and drop the images themselves") }
        if at(0, "7z") && h.count >= 6 && h[2] == 0xBC && h[3] == 0xAF {
            return .other("a 7-Zip archive", "unpack it and drop the images themselves")
        }
        if at(0, "Rar!") { return .other("a RAR archive", "unpack it and drop the images themselves") }
        if at(257, "ustar") { return .other("a tar archive", "unpack it and drop the images themselves") }
        if at(0, "RIFF") { return .other("a RIFF file (audio or video)", takenOnly) }
        if starts([0x7F, 0x45, 0x4C, 0x46]) { return .other("a program (ELF)", takenOnly) }
        return nil
    }

    /// ISO base media files (HEIF, AVIF, MP4) name their kind in the `ftyp` box's brands.
    private static func isoBrand(_ h: [UInt8]) -> Foreign? {
        guard h.count >= 12 else { return nil }
        let boxSize = Int(h[0]) << 24 | Int(h[1]) << 16 | Int(h[2]) << 8 | Int(h[3])
        var brands: [String] = [String(decoding: h[8..<12], as: UTF8.self)]
        var offset = 16
        while offset + 4 <= min(max(boxSize, 12), h.count) {
            brands.append(String(decoding: h[offset..<offset + 4], as: UTF8.self))
            offset += 4
        }
        if brands.contains(where: { $0 == "avif" || $0 == "avis" }) { return .image("AVIF") }
        let heif: Set<String> = ["heic", "heix", "hevc", "hevx", "heim", "heis", "hevm", "hevs", "mif1", "msf1"]
        if brands.contains(where: { heif.contains($0) }) { return .image("HEIC") }
        if brands.contains("crx ") { return .image("Canon raw (CR3)") }
        let video: Set<String> = ["isom", "iso2", "mp41", "mp42", "qt  ", "M4V ", "3gp4", "3gp5", "avc1", "dash"]
        if brands.contains(where: { video.contains($0) }) { return .other("a video (MP4 or QuickTime)", takenOnly) }
        return nil
    }

    /// The first characters when the file opens like text: valid UTF-8 with no control characters but layout ones.
    private static func textStart(_ bytes: UnsafeRawBufferPointer) -> String? {
        let sample = Array(bytes.prefix(512))
        // A multi-byte character may be cut at the end of the sample.
        let cuts = bytes.count > sample.count ? 0...3 : 0...0
        guard let text = cuts.lazy.compactMap({ String(validating: sample.dropLast($0), as: UTF8.self) }).first else {
            return nil
        }
        for scalar in text.unicodeScalars {
            let v = scalar.value
            if v == 0x09 || v == 0x0A || v == 0x0C || v == 0x0D { continue }
            if v < 0x20 || v == 0x7F || (0x80...0x9F).contains(v) { return nil }
        }
        return text
    }

    private static func excerpt(_ text: String) -> String {
        var characters = Array(text.drop { $0 == "\u{FEFF}" })
        let cut = characters.count > 9
        characters = Array(characters.prefix(9))
        let shown = String(characters.map { $0.isNewline || $0 == "\t" ? " " : $0 == "\"" ? "'" : $0 })
        return cut ? shown + "..." : shown
    }

    private static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0xF)]])
    }
}
