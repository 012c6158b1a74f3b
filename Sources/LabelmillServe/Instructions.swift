import Foundation
import Ink

/// INSTRUCTIONS.md as HTML for the screen. Raw HTML in the Markdown is shown
/// as text, never run: `<`, `>` and `&` are escaped before Ink sees them, and
/// links and images keep only http(s), mailto and relative addresses.
enum Instructions {
    static func html(markdown: String) -> String {
        var parser = MarkdownParser()
        parser.addModifier(Modifier(target: .links) { html, markdown in
            safeURL(in: markdown, image: false) ? html : "<span>\(escape(String(markdown)))</span>"
        })
        parser.addModifier(Modifier(target: .images) { html, markdown in
            safeURL(in: markdown, image: true) ? html : "<span>\(escape(String(markdown)))</span>"
        })
        // Ink escapes code itself: undo the one level of escaping added before parsing.
        for target in [Modifier.Target.inlineCode, .codeBlocks] {
            parser.addModifier(Modifier(target: target) { html, _ in unescapeOnce(html) })
        }
        // Nothing should reach here once `<` is escaped; if it does, it is shown as text.
        parser.addModifier(Modifier(target: .html) { _, markdown in escape(String(markdown)) })
        return parser.html(from: escape(markdown, keepQuotes: true))
    }

    /// `&`, `<` and `>` as entities; with `keepQuotes`, a `>` that starts a line
    /// (a Markdown blockquote) stays, since a lone `>` cannot open a tag.
    static func escape(_ text: String, keepQuotes: Bool = false) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        var lineStart = true
        for c in text {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += keepQuotes && lineStart ? ">" : "&gt;"
            default: out.append(c)
            }
            if c == "\n" { lineStart = true } else if c != " " && c != ">" { lineStart = false }
        }
        return out
    }

    static func unescapeOnce(_ html: String) -> String {
        html.replacingOccurrences(of: "&amp;lt;", with: "&lt;")
            .replacingOccurrences(of: "&amp;gt;", with: "&gt;")
            .replacingOccurrences(of: "&amp;amp;", with: "&amp;")
    }

    /// The address of `[text](url)` / `![alt](url)` is http(s), mailto or relative.
    static func safeURL(in markdown: Substring, image: Bool) -> Bool {
        guard let open = markdown.range(of: "](") else { return true }
        let url = markdown[open.upperBound...].drop { $0 == " " }.lowercased()
        guard let colon = url.firstIndex(of: ":") else { return true }
        let scheme = url[..<colon]
        if scheme.contains("/") || scheme.contains("?") || scheme.contains("#") { return true }
        return ["http", "https"].contains(String(scheme)) || (!image && scheme == "mailto")
    }
}
