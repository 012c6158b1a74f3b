// Temporary stand-in until the C checks land.
public enum ImageKind: String, Sendable { case png, jpeg }
public struct ImageFacts: Sendable, Equatable { public var kind: ImageKind; public var width: Int; public var height: Int }
public struct ImageRefusal: Error, Sendable, Equatable { public var reason: String }
public enum ImageProbe {
    public static let maxPixels: UInt64 = 100_000_000
    public static func inspect(_ bytes: UnsafeRawBufferPointer) -> Result<ImageFacts, ImageRefusal> {
        guard bytes.count > 24, bytes[0] == 0x89, bytes[1] == 0x50 else { return .failure(ImageRefusal(reason: "not an image")) }
        func be32(_ o: Int) -> Int { Int(bytes[o]) << 24 | Int(bytes[o+1]) << 16 | Int(bytes[o+2]) << 8 | Int(bytes[o+3]) }
        return .success(ImageFacts(kind: .png, width: be32(16), height: be32(20)))
    }
}
