import LabelmillCore

/// Every image paged in a project, by SHA-256 -> its page and its place on
/// the page: the duplicate check of SPEC section 6 in O(1). Kept compact, as
/// it holds an entry per image (a million of them and more): the digest as 32
/// bytes rather than 64 hex characters on the heap, the page as its number.
struct ImageIndex {
    struct Digest: Hashable {
        var a: UInt64, b: UInt64, c: UInt64, d: UInt64

        /// The digest of a lower-case (or upper-case) 64-digit hex string; nil for anything else.
        init?(hex: String) {
            let utf8 = hex.utf8
            guard utf8.count == 64 else { return nil }
            var words: [UInt64] = [0, 0, 0, 0]
            for (k, byte) in utf8.enumerated() {
                let v: UInt8
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): v = byte - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): v = byte - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): v = byte - UInt8(ascii: "A") + 10
                default: return nil
                }
                words[k / 16] = words[k / 16] << 4 | UInt64(v)
            }
            (a, b, c, d) = (words[0], words[1], words[2], words[3])
        }
    }

    /// Where an image is: its page's number and its position on the page.
    struct Place: Equatable {
        var page: Int32
        var position: UInt16
    }

    private var places: [Digest: Place] = [:]
    /// Names that are not a hex digest, or pages not numbered as the daemon numbers them (never, but nothing is lost).
    private var others: [String: (page: String, position: Int)] = [:]

    var count: Int { places.count + others.count }

    /// The image's page id and position, nil when no page has it.
    subscript(sha256: String) -> (page: String, position: Int)? {
        if let digest = Digest(hex: sha256), let place = places[digest] {
            return (PageID.make(Int(place.page)), Int(place.position))
        }
        return others[sha256]
    }

    mutating func insert(_ sha256: String, page: String, position: Int) {
        if let digest = Digest(hex: sha256), let number = PageID.number(page), number <= Int(Int32.max),
           PageID.make(number) == page, position <= Int(UInt16.max) {
            places[digest] = Place(page: Int32(number), position: UInt16(position))
        } else {
            others[sha256] = (page, position)
        }
    }

    mutating func removeAll() {
        places = [:]
        others = [:]
    }

    mutating func reserveCapacity(_ n: Int) { places.reserveCapacity(n) }
}
