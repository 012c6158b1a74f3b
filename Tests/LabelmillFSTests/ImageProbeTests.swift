import CShims
import Foundation
import LabelmillCore
@testable import LabelmillFS
import TestSupport
import Testing

// MARK: - Helpers

private func inspect(_ bytes: [UInt8]) -> Result<ImageFacts, ImageRefusal> {
    bytes.withUnsafeBytes { ImageProbe.inspect($0) }
}

private func reason(_ bytes: [UInt8]) -> String? {
    if case .failure(let refusal) = inspect(bytes) { return refusal.reason }
    return nil
}

/// The shared corpus: `LABELMILL_TESTDATA`, else `shared/testdata` beside the repository.
private let testdata: URL = {
    if let path = ProcessInfo.processInfo.environment["LABELMILL_TESTDATA"], !path.isEmpty {
        return URL(fileURLWithPath: path)
    }
    let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    return repository.deletingLastPathComponent().appendingPathComponent("shared/testdata")
}()

private func corpus(_ folder: String) -> [String] {
    let directory = testdata.appendingPathComponent(folder)
    let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
    return names.filter { $0.hasSuffix(".png") }.sorted()
}

private func corpusBytes(_ folder: String, _ name: String) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: testdata.appendingPathComponent(folder).appendingPathComponent(name)))
}

/// PngSuite names encode the size: `sNN` is NN x NN, `cdf`/`cdh`/`cds` are 8x32, 32x8 and 8x8, the rest 32x32.
/// libpng's copies add a leading `i` (interlaced) or `ft` prefix before the 8-character PngSuite stem.
private func pngSuiteSize(_ name: String) -> (Int, Int) {
    let stem = String(name.dropLast(4).suffix(8))
    if stem.hasPrefix("s"), let side = Int(stem.dropFirst().prefix(2)) { return (side, side) }
    if stem.hasPrefix("cdf") { return (8, 32) }
    if stem.hasPrefix("cdh") { return (32, 8) }
    if stem.hasPrefix("cds") { return (8, 8) }
    return (32, 32)
}

/// An RGB 8-bit PNG whose filtered rows (filter byte + pixels) are given directly.
private func rgbPNG(_ width: Int, _ height: Int, filtered: [UInt8]? = nil, interlace: UInt8 = 0) -> [UInt8] {
    var raw: [UInt8] = []
    if let filtered {
        raw = filtered
    } else if interlace == 0 {
        for y in 0..<height {
            raw.append(0)
            for x in 0..<width { raw += [UInt8(x & 0xFF), UInt8(y & 0xFF), 128] }
        }
    } else {
        let passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
        for (x0, y0, dx, dy) in passes {
            let w = width > x0 ? (width - x0 + dx - 1) / dx : 0
            let h = height > y0 ? (height - y0 + dy - 1) / dy : 0
            guard w > 0 && h > 0 else { continue }
            for _ in 0..<h { raw += [0] + [UInt8](repeating: 200, count: w * 3) }
        }
    }
    return PNGBytes.signature + PNGBytes.ihdr(UInt32(width), UInt32(height), interlace: interlace)
        + PNGBytes.chunk("IDAT", PNGBytes.zlibStored(raw)) + PNGBytes.chunk("IEND", [])
}

private func makeJPEG(_ width: Int32 = 160, _ height: Int32 = 120, gray: Bool = false, progressive: Bool = false) throws -> [UInt8] {
    var buffer: UnsafeMutablePointer<UInt8>?
    var size = 0
    let made = lm_make_test_jpeg(width, height, gray ? 1 : 0, progressive ? 1 : 0, &buffer, &size)
    let bytes = try #require(buffer)
    defer { lm_free_jpeg(bytes) }
    try #require(made == 0)
    return Array(UnsafeBufferPointer(start: bytes, count: size))
}

/// Offset of the first byte of entropy-coded data (just past the first SOS segment).
private func scanStart(_ jpeg: [UInt8]) -> Int? {
    var i = 2
    while i + 4 <= jpeg.count, jpeg[i] == 0xFF {
        let length = Int(jpeg[i + 2]) << 8 | Int(jpeg[i + 3])
        if jpeg[i + 1] == 0xDA { return i + 2 + length }
        i += 2 + length
    }
    return nil
}

// MARK: - Corpus

@Suite("Image probe: libpng's PngSuite and crashers", .timeLimit(.minutes(2)))
struct ImageProbeCorpusTests {
    @Test("the corpus is present")
    func corpusPresent() {
        #expect(corpus("png/valid").count >= 60, "no PngSuite under \(testdata.path); set LABELMILL_TESTDATA")
        #expect(corpus("png/crashers").count >= 20)
    }

    @Test("every PngSuite image is taken with its size; x-files are refused", arguments: corpus("png/valid"))
    func pngSuite(name: String) throws {
        let result = inspect(try corpusBytes("png/valid", name))
        if name.hasPrefix("x") {
            #expect(throws: ImageRefusal.self) { try result.get() }
            return
        }
        let (width, height) = pngSuiteSize(name)
        #expect(try result.get() == ImageFacts(kind: .png, width: width, height: height))
    }

    @Test("every crasher is refused with a reason, or taken only when whole", arguments: corpus("png/crashers"))
    func crasher(name: String) throws {
        let bytes = try corpusBytes("png/crashers", name)
        switch inspect(bytes) {
        case .success(let facts):
            // Taken only with whole image data: the empty ancillary chunks do not touch the pixels.
            #expect(name == "empty_ancillary_chunks.png", "accepted \(name) as \(facts)")
            #expect(facts == ImageFacts(kind: .png, width: 1, height: 1))
        case .failure(let refusal):
            #expect(!refusal.reason.isEmpty)
            if name.hasPrefix("huge_") {
                #expect(refusal.reason.hasPrefix("truncated PNG: the file ends after"), "\(refusal.reason)")
            }
            if name == "badcrc.png" || name == "bad_iCCP.png" {
                #expect(refusal.reason.hasPrefix("corrupt PNG: CRC mismatch in chunk"), "\(refusal.reason)")
            }
            if name == "badadler.png" {
                #expect(refusal.reason.contains("incorrect data check"), "\(refusal.reason)")
            }
        }
    }

    @Test("every cut of a PngSuite image before IEND is refused as truncated")
    func everyTruncation() throws {
        let whole = try corpusBytes("png/valid", "basn2c08.png")
        for length in 4..<(whole.count - 12) {
            let cut = Array(whole.prefix(length))
            let refusal = try #require(reason(cut), "a cut at \(length) bytes was taken")
            #expect(refusal.hasPrefix("truncated PNG: the file ends after \(length) bytes"), "\(refusal)")
        }
    }

    @Test("random byte changes never crash: each is refused or taken")
    func mutations() throws {
        var random = SplitMix64(state: 0x1AB3_1111)
        for name in ["basn2c08.png", "ibasn0g04.png", "basn3p08.png", "basn6a16.png"] {
            let whole = try corpusBytes("png/valid", name)
            for _ in 0..<150 {
                var bytes = whole
                for _ in 0..<Int.random(in: 1...3, using: &random) {
                    bytes[Int.random(in: 8..<bytes.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
                }
                if case .failure(let refusal) = inspect(bytes) { #expect(!refusal.reason.isEmpty) }
            }
        }
    }
}

// MARK: - Synthetic PNG

@Suite("Image probe: PNG")
struct ImageProbePNGTests {
    @Test("a small synthetic PNG is taken with its size", arguments: [(1, 1), (3, 2), (160, 120), (1000, 1)])
    func valid(size: (Int, Int)) throws {
        #expect(try inspect(rgbPNG(size.0, size.1)).get() == ImageFacts(kind: .png, width: size.0, height: size.1))
    }

    @Test("interlaced PNGs of odd sizes decode pass by pass", arguments: [(1, 1), (2, 9), (7, 3), (33, 17)])
    func interlaced(size: (Int, Int)) throws {
        let png = rgbPNG(size.0, size.1, interlace: 1)
        #expect(try inspect(png).get() == ImageFacts(kind: .png, width: size.0, height: size.1))
    }

    @Test("an empty file")
    func empty() {
        #expect(reason([]) == "empty file: it has no bytes; copy the image again")
    }

    @Test("text named .png is not an image")
    func text() {
        #expect(reason(Array("hello world, this is not a picture\n".utf8))
            == "not an image: the file starts with text (\"hello wor...\"); only PNG and JPEG images are taken")
        #expect(reason(Array("hi\n".utf8))
            == "not an image: the file starts with text (\"hi \"); only PNG and JPEG images are taken")
    }

    @Test("cut at several points: truncated, naming where the file ends")
    func truncated() throws {
        let png = rgbPNG(40, 30)
        let idatStart = 8 + 25
        #expect(reason(Array(png.prefix(6))) == "truncated PNG: the file ends after 6 bytes, inside the PNG signature; copy the file again")
        #expect(reason(Array(png.prefix(20)))?.hasPrefix("truncated PNG: the file ends after 20 bytes, inside the IHDR chunk") == true)
        #expect(reason(Array(png.prefix(idatStart)))
            == "truncated PNG: the file ends after 33 bytes, after the IHDR chunk; the PNG has no IEND; copy the file again")
        #expect(reason(Array(png.prefix(idatStart + 500)))?.hasPrefix(
            "truncated PNG: the file ends after 533 bytes, inside the IDAT chunk") == true)
        #expect(reason(Array(png.dropLast(12)))?.hasSuffix("after the IDAT chunk; the PNG has no IEND; copy the file again") == true)
        #expect(reason(Array(png.dropLast(1)))?.hasPrefix("truncated PNG:") == true)
    }

    @Test("one bit flipped in IDAT: CRC mismatch, naming the chunk and byte")
    func bitFlip() {
        var png = rgbPNG(40, 30)
        png[33 + 8 + 100] ^= 0x04
        #expect(reason(png) == "corrupt PNG: CRC mismatch in chunk IDAT at byte 33; save or export the image again")
    }

    @Test("damaged image data with a correct CRC is still refused by the zlib check")
    func damagedDataValidCRC() throws {
        var raw: [UInt8] = []
        for _ in 0..<4 { raw += [0] + [UInt8](repeating: 9, count: 12) }
        var stream = PNGBytes.zlibStored(raw)
        stream[stream.count - 1] ^= 0x01  // Adler-32
        let png = PNGBytes.signature + PNGBytes.ihdr(4, 4) + PNGBytes.chunk("IDAT", stream) + PNGBytes.chunk("IEND", [])
        let refusal = try #require(reason(png))
        #expect(refusal.hasPrefix("corrupt PNG: the compressed image data in the IDAT chunk at byte 33 is damaged (incorrect data check)"))
    }

    @Test("too little image data, and a bad row filter, are corrupt")
    func badImageData() throws {
        let short = rgbPNG(4, 4, filtered: [UInt8](repeating: 0, count: 13 * 3))
        #expect(try #require(reason(short)).hasPrefix("corrupt PNG: the image data stops early: it holds 39 of the 52 bytes"))
        var rows: [UInt8] = []
        for _ in 0..<4 { rows += [7] + [UInt8](repeating: 1, count: 12) }
        let badFilter = try #require(reason(rgbPNG(4, 4, filtered: rows)))
        #expect(badFilter.hasPrefix("corrupt PNG: the image data is damaged (libpng:"), "\(badFilter)")
    }

    @Test("IHDR claiming 100000 x 100000 is refused before decoding")
    func tooLarge() {
        let png = PNGBytes.signature + PNGBytes.ihdr(100_000, 100_000) + PNGBytes.chunk("IDAT", PNGBytes.zlibStored([0])) + PNGBytes.chunk("IEND", [])
        #expect(reason(png)
            == "image is 100000 x 100000 pixels (10000 megapixels), over the 100 megapixel limit; scale it down")
        let justOver = PNGBytes.signature + PNGBytes.ihdr(10_001, 10_000)
        #expect(reason(justOver)
            == "image is 10001 x 10000 pixels (100.01 megapixels), over the 100 megapixel limit; scale it down")
        let long = PNGBytes.signature + PNGBytes.ihdr(2_000_000, 1)
        #expect(reason(long)
            == "image is 2000000 x 1 pixels, and sides over 1000000 pixels are not taken; scale it down or cut it into tiles")
    }

    @Test("a signature mangled by a text-mode copy is named")
    func textModeSignature() {
        var png = rgbPNG(2, 2)
        png.remove(at: 4)  // CR LF -> LF
        #expect(reason(png)?.contains("copied in text mode") == true)
    }

    @Test("structure problems: chunks out of order, no image data, a second header")
    func structure() throws {
        let body = PNGBytes.zlibStored([0, 1, 2, 3])
        let noData = PNGBytes.signature + PNGBytes.ihdr(1, 1) + PNGBytes.chunk("IEND", [])
        #expect(reason(noData) == "corrupt PNG: the PNG has no image data (no IDAT chunk); save or export the image again")
        let split = PNGBytes.signature + PNGBytes.ihdr(1, 1) + PNGBytes.chunk("IDAT", Array(body.prefix(4))) + PNGBytes.chunk("tEXt", Array("a\0b".utf8))
            + PNGBytes.chunk("IDAT", Array(body.dropFirst(4))) + PNGBytes.chunk("IEND", [])
        #expect(try #require(reason(split)).contains("separated from the earlier image data"))
        let noHeader = PNGBytes.signature + PNGBytes.chunk("IDAT", body) + PNGBytes.chunk("IEND", [])
        #expect(try #require(reason(noHeader)).contains("the first chunk is IDAT, not the IHDR header"))
        let apple = PNGBytes.signature + PNGBytes.chunk("CgBI", [0x50, 0, 0x20, 0x02]) + PNGBytes.ihdr(1, 1)
        #expect(try #require(reason(apple)).hasPrefix("unsupported kind of PNG: this is an Apple-optimized PNG"))
    }

    @Test("bytes after IEND and unknown ancillary chunks are accepted")
    func tolerated() throws {
        let png = rgbPNG(3, 3)
        let withTrailer = png + Array("trailer".utf8)
        #expect(try inspect(withTrailer).get() == ImageFacts(kind: .png, width: 3, height: 3))
        let iend = png.count - 12
        let withChunk = Array(png[..<iend]) + PNGBytes.chunk("prVt", [UInt8](repeating: 1, count: 100)) + Array(png[iend...])
        #expect(try inspect(withChunk).get() == ImageFacts(kind: .png, width: 3, height: 3))
    }
}

// MARK: - JPEG

@Suite("Image probe: JPEG")
struct ImageProbeJPEGTests {
    @Test("a JPEG made by libturbojpeg is taken", arguments: [(false, false), (true, false), (false, true), (true, true)])
    func valid(variant: (gray: Bool, progressive: Bool)) throws {
        let jpeg = try makeJPEG(160, 120, gray: variant.gray, progressive: variant.progressive)
        #expect(try inspect(jpeg).get() == ImageFacts(kind: .jpeg, width: 160, height: 120))
    }

    @Test("odd sizes decode at reduced scale", arguments: [(1, 1), (9, 17), (641, 479)])
    func oddSizes(size: (Int32, Int32)) throws {
        let jpeg = try makeJPEG(size.0, size.1)
        #expect(try inspect(jpeg).get() == ImageFacts(kind: .jpeg, width: Int(size.0), height: Int(size.1)))
    }

    @Test("cut at several points: truncated, no EOI")
    func truncated() throws {
        for progressive in [false, true] {
            let jpeg = try makeJPEG(progressive: progressive)
            for length in [2, 3, 20, 100, jpeg.count / 2, jpeg.count - 2, jpeg.count - 1] {
                let refusal = try #require(reason(Array(jpeg.prefix(length))), "a cut at \(length) was taken")
                #expect(refusal.hasPrefix("truncated JPEG: the file ends after \(length) bytes"), "\(refusal)")
                #expect(refusal.hasSuffix("the JPEG has no EOI marker; copy the file again"), "\(refusal)")
            }
        }
    }

    @Test("every cut of a JPEG is refused")
    func everyTruncation() throws {
        let jpeg = try makeJPEG(32, 24, progressive: true)
        for length in 1..<jpeg.count {
            #expect(reason(Array(jpeg.prefix(length))) != nil, "a cut at \(length) bytes was taken")
        }
    }

    @Test("image data cut short but closed with EOI is corrupt")
    func cutThenClosed() throws {
        let jpeg = try makeJPEG()
        let start = try #require(scanStart(jpeg))
        let damaged = Array(jpeg.prefix(start + 40)) + [0xFF, 0xD9]
        let refusal = try #require(reason(damaged))
        #expect(refusal.hasPrefix("corrupt JPEG: the decoder reports \"Corrupt JPEG data"), "\(refusal)")
    }

    @Test("a frame header claiming 65000 x 65000 is refused before decoding")
    func tooLarge() throws {
        var jpeg = try makeJPEG()
        var i = 2
        while jpeg[i + 1] != 0xC0 { i += 2 + (Int(jpeg[i + 2]) << 8 | Int(jpeg[i + 3])) }
        jpeg.replaceSubrange(i + 5..<i + 9, with: [0xFD, 0xE8, 0xFD, 0xE8])
        #expect(reason(jpeg) == "image is 65000 x 65000 pixels (4225 megapixels), over the 100 megapixel limit; scale it down")
    }

    @Test("stray bytes between segments and data after EOI are accepted")
    func tolerated() throws {
        let jpeg = try makeJPEG()
        let stray = Array(jpeg.prefix(2)) + Array("junk".utf8) + Array(jpeg.dropFirst(2))
        #expect(try inspect(stray).get() == ImageFacts(kind: .jpeg, width: 160, height: 120))
        #expect(try inspect(jpeg + Array("appended video".utf8)).get() == ImageFacts(kind: .jpeg, width: 160, height: 120))
    }

    @Test("random byte changes never crash: each is refused or taken")
    func mutations() throws {
        var random = SplitMix64(state: 0x5EED)
        for progressive in [false, true] {
            let whole = try makeJPEG(64, 48, progressive: progressive)
            for _ in 0..<200 {
                var bytes = whole
                for _ in 0..<Int.random(in: 1...3, using: &random) {
                    bytes[Int.random(in: 2..<bytes.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
                }
                if case .failure(let refusal) = inspect(bytes) { #expect(!refusal.reason.isEmpty) }
            }
        }
    }
}

// MARK: - Other types

@Suite("Image probe: other types are refused by name")
struct ImageProbeTypeTests {
    @Test("other image types", arguments: [
        (Array("GIF89a".utf8) + [1, 0, 1, 0, 0, 0, 0], "GIF"),
        (Array("GIF87a".utf8), "GIF"),
        (Array("RIFF".utf8) + [0x24, 0, 0, 0] + Array("WEBPVP8 ".utf8), "WebP"),
        (Array("BM".utf8) + [UInt8](repeating: 0, count: 12) + [40, 0, 0, 0], "BMP"),
        ([0x49, 0x49, 0x2A, 0x00, 8, 0, 0, 0], "TIFF (or a camera raw file)"),
        ([0, 0, 0, 0x18] + Array("ftypheic".utf8) + [0, 0, 0, 0] + Array("mif1heic".utf8), "HEIC"),
        ([0, 0, 0, 0x1C] + Array("ftypavif".utf8) + [0, 0, 0, 0] + Array("avifmif1miaf".utf8), "AVIF"),
        ([0xFF, 0x0A, 0xFA], "JPEG XL"),
        (Array("<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\"/>".utf8), "SVG"),
    ] as [([UInt8], String)])
    func images(bytes: [UInt8], name: String) {
        #expect(reason(bytes) == "unsupported image type \(name); convert it to PNG or JPEG")
    }

    @Test("documents and archives")
    func documents() {
        #expect(reason(Array("%PDF-1.7\n%\u{e2}\u{e3}".utf8))
            == "not an image: the file is a PDF document; export its pages as PNG or JPEG images")
        #expect(reason([0x50, 0x4B, 0x03, 0x04, 20, 0, 0, 0])
            == "not an image: the file is a ZIP archive; unpack it and drop the images themselves")
    }

    @Test("unknown binary names its first bytes")
    func binary() {
        #expect(reason([0x00, 0x01, 0x02, 0xFE, 0x99])
            == "not an image: the file starts with the bytes 00 01 02 FE, which is not a PNG or JPEG; only PNG and JPEG images are taken")
        #expect(reason([0x89, 0x50])?.hasPrefix("not an image") == true)
    }

    @Test("megapixels round up so a count just over the limit never reads as the limit")
    func megapixelText() {
        #expect(ImageProbe.megapixels(100_000_001) == "100.01")
        #expect(ImageProbe.megapixels(150_000_000) == "150")
        #expect(ImageProbe.megapixels(120_500_000) == "120.5")
        #expect(ImageProbe.megapixels(101_050_000) == "101.05")
    }
}

// MARK: - Thumbnails and the builtin embedding

@Suite("Thumbnails (libpng, libturbojpeg) and the builtin embedding")
struct ThumbnailTests {
    func pixel(_ rgb: [UInt8], _ x: Int, _ y: Int, side: Int = BuiltinEmbedding.side) -> [UInt8] {
        Array(rgb[(3 * (y * side + x))..<(3 * (y * side + x) + 3)])
    }

    @Test("A PNG's thumbnail keeps where its colours are; a small one is repeated, an interlaced one decoded whole")
    func pngThumbnails() throws {
        let halves = PNGBytes.rgb(width: 64, height: 48) { x, _ in x < 32 ? (250, 10, 10) : (10, 10, 250) }
        let thumb = try Thumbnail.rgb(of: halves)
        #expect(thumb.count == 32 * 32 * 3)
        #expect(pixel(thumb, 0, 0) == [250, 10, 10] && pixel(thumb, 15, 31) == [250, 10, 10])
        #expect(pixel(thumb, 16, 0) == [10, 10, 250] && pixel(thumb, 31, 31) == [10, 10, 250])
        let tiny = PNGBytes.rgb(width: 2, height: 2) { x, y in (UInt8(100 * x), UInt8(100 * y), 7) }
        let repeated = try Thumbnail.rgb(of: tiny)
        #expect(pixel(repeated, 0, 0) == [0, 0, 7] && pixel(repeated, 31, 0) == [100, 0, 7] && pixel(repeated, 31, 31) == [100, 100, 7])
        let interlaced = try Thumbnail.rgb(of: rgbPNG(40, 40, interlace: 1))
        #expect(Set(interlaced) == [200])
        // A 3 x 100 image squeezed: every column of the thumbnail is one of its three.
        let tall = try Thumbnail.rgb(of: PNGBytes.rgb(width: 3, height: 100) { x, _ in (UInt8(80 * x), 0, 0) })
        #expect(Set(stride(from: 0, to: tall.count, by: 3).map { tall[$0] }) == [0, 80, 160])
    }

    @Test("A JPEG's thumbnail, colour and grey, at reduced scale")
    func jpegThumbnails() throws {
        let colour = try Thumbnail.rgb(of: makeJPEG(640, 480))
        #expect(pixel(colour, 0, 0) != pixel(colour, 31, 31), "the gradient shows")
        let grey = try Thumbnail.rgb(of: makeJPEG(100, 60, gray: true))
        let coloured = stride(from: 0, to: grey.count, by: 3).filter { (i: Int) -> Bool in grey[i] != grey[i + 1] || grey[i] != grey[i + 2] }
        #expect(coloured.isEmpty)
        let progressive = try Thumbnail.rgb(of: makeJPEG(33, 17, progressive: true))
        #expect(progressive.count == 32 * 32 * 3)
    }

    @Test("Every valid PngSuite image has a thumbnail", arguments: corpus("png/valid").filter { !$0.hasPrefix("x") })
    func pngSuite(_ name: String) throws {
        let thumb = try Thumbnail.rgb(of: corpusBytes("png/valid", name))
        #expect(thumb.count == 32 * 32 * 3)
    }

    @Test("Damaged files and libpng's crashers give a reason, never a crash", arguments: corpus("png/crashers"))
    func crashers(_ name: String) throws {
        let bytes = try corpusBytes("png/crashers", name)
        do { _ = try Thumbnail.rgb(of: bytes) } catch { #expect(!error.description.isEmpty) }
    }

    @Test("Not an image, truncated, or a bad size: refused with the reason")
    func refusals() throws {
        #expect(throws: Thumbnail.Failure.self) { try Thumbnail.rgb(of: Array("hello".utf8)) }
        let png = PNGBytes.rgb(width: 20, height: 20) { _, _ in (1, 2, 3) }
        do {
            _ = try Thumbnail.rgb(of: Array(png.prefix(png.count / 2)))
            Issue.record("a truncated PNG had a thumbnail")
        } catch { #expect(error.description.contains("damaged")) }
        let jpeg = try makeJPEG()
        let cut = Array(jpeg.prefix(40))
        #expect(throws: Thumbnail.Failure.self) { try Thumbnail.rgb(of: cut) }
        #expect(throws: Thumbnail.Failure.self) { try Thumbnail.rgb(of: png, side: 0) }
    }

    @Test("Builtin features: fixed length, finite, the same for the same image; stripes and checks fall apart into clusters")
    func builtinFeatures() throws {
        func stripes(_ seed: Int, vertical: Bool) -> [UInt8] {
            PNGBytes.rgb(width: 48 + seed % 5, height: 40 + seed % 7) { x, y in
                let on = ((vertical ? x : y) + seed) / 4 % 2 == 0
                return on ? (UInt8(120 + seed * 7 % 100), 40, 40) : (20, 20, UInt8(60 + seed * 11 % 150))
            }
        }
        func checks(_ seed: Int) -> [UInt8] {
            PNGBytes.rgb(width: 40 + seed % 9, height: 40) { x, y in ((x + seed) / 5 + y / 5) % 2 == 0 ? (30, UInt8(150 + seed * 5 % 100), 30) : (230, 230, 230) }
        }
        let solid = BuiltinEmbedding.features(rgb: try Thumbnail.rgb(of: PNGBytes.rgb(width: 9, height: 9) { _, _ in (5, 5, 5) }))
        #expect(solid.count == BuiltinEmbedding.dimensions)
        #expect(solid.allSatisfy { $0.isFinite })
        let a = BuiltinEmbedding.features(rgb: try Thumbnail.rgb(of: stripes(1, vertical: true)))
        let again = BuiltinEmbedding.features(rgb: try Thumbnail.rgb(of: stripes(1, vertical: true)))
        #expect(a == again)
        var pool: [PoolImage] = []
        var labels: [String: String] = [:]
        for seed in 0..<16 {
            for (kind, png) in [("vertical", stripes(seed, vertical: true)), ("horizontal", stripes(seed, vertical: false)), ("checks", checks(seed))] {
                let id = "\(kind)\(seed)"
                pool.append(PoolImage(id: id, arrival: Double(pool.count), vector: Vectors.normalized(BuiltinEmbedding.features(rgb: try Thumbnail.rgb(of: png)))))
                labels[id] = kind
            }
        }
        var g = SplitMix64(state: 9)
        let pages = ClusteredPages.pages(from: pool, size: 4, count: 100, using: &g)
        #expect(ClusteredPages.purity(pages, labels: labels) > 0.9)
    }
}
