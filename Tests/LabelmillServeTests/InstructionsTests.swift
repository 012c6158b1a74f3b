import Foundation
import LabelmillServe
import Testing

@Suite struct InstructionsTests {
    func html(_ markdown: String?) async throws -> JSONValueBox {
        let f = try ServeFixture(instructions: markdown)
        return try await f.test { web in
            let cookie = try await web.signIn("ann")
            let response = try await web.request(.get, "/api/projects/p/instructions", cookie: cookie)
            #expect(response.status == .ok)
            return JSONValueBox(html: try response.json["html"]?.stringValue)
        }
    }

    struct JSONValueBox: Sendable { var html: String? }

    @Test func rawHTMLIsShownAsText() async throws {
        let markdown = """
        # Boxes

        Draw <script>alert(1)</script> a box & <b>tag</b> it.

        <img src=x onerror=alert(2)>

        > a quote

        `a < b` and **bold**. [site](https://example.org) [bad](javascript:alert(3))
        """
        let html = try #require(try await html(markdown).html)
        #expect(html.contains("<h1>Boxes</h1>"))
        #expect(html.contains("<strong>bold</strong>"))
        #expect(!html.contains("<script"))
        #expect(!html.contains("<img"))
        #expect(!html.contains("<b>"))
        #expect(!html.contains("javascript:alert(3)\""))
        #expect(!html.contains("href=\"javascript"))
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(html.contains("a box &amp; "))
        #expect(html.contains("<a href=\"https://example.org\">site</a>"))
        #expect(html.contains("<code>a &lt; b</code>"))
        #expect(html.contains("<blockquote>"))
    }

    @Test func noInstructionsIsNull() async throws {
        #expect(try await html(nil).html == nil)
    }
}
