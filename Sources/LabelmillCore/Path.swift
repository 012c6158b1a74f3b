/// Path strings, joined and split by `/`.
public enum Path {
    public static func join(_ parts: String...) -> String { join(parts) }

    public static func join(_ parts: [String]) -> String {
        var out = ""
        for p in parts where !p.isEmpty {
            if out.isEmpty || out.hasSuffix("/") { out += p } else { out += "/" + p }
        }
        return out
    }

    public static func parent(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        if slash == path.startIndex { return "/" }
        return String(path[..<slash])
    }

    public static func name(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }

    /// `a/b.png` -> `a/b-2.png`.
    public static func numbered(_ path: String, _ n: Int) -> String {
        let dir = parent(path)
        let base = name(path)
        let (stem, ext) = splitExtension(base)
        let numbered = "\(stem)-\(n)\(ext)"
        return path.contains("/") ? join(dir, numbered) : numbered
    }

    /// `b.tar.png` -> (`b.tar`, `.png`); a leading dot is not an extension.
    public static func splitExtension(_ name: String) -> (String, String) {
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return (name, "") }
        return (String(name[..<dot]), String(name[dot...]))
    }
}

/// How pending images become pages (pure: the daemon does the I/O).
public enum PagePlan {
    /// The sizes of the pages to make now from `pending` images: full pages,
    /// and with `flush` the last partial one too; at most `maxPages`.
    public static func pageSizes(pending: Int, pageSize: Int, flush: Bool, maxPages: Int = .max) -> [Int] {
        guard pageSize > 0 else { return [] }
        var sizes: [Int] = []
        var left = pending
        while sizes.count < maxPages && (left >= pageSize || (left > 0 && flush)) {
            let n = min(pageSize, left)
            sizes.append(n)
            left -= n
        }
        return sizes
    }

    /// File names for one page's images: the inbox names, with `-2`, `-3`...
    /// before the extension where two images (from different folders) share one.
    public static func fileNames(_ names: [String]) -> [String] {
        var used = Set<String>()
        return names.map { name in
            var file = name
            var n = 2
            while used.contains(file) { file = Path.numbered(name, n); n += 1 }
            used.insert(file)
            return file
        }
    }
}
