import LabelmillCore
import Testing

/// What happens to a handed-in page once checked: outbox, rejected in place, or ERRORS.txt.
@Suite("Submission verdict")
struct SubmissionVerdictTests {
    func verdict(_ text: String, status: String? = "submitted") -> SubmissionVerdict? {
        let check = SubmissionValidator.check(Array(text.utf8), expected: Pages.expected("multi-class"), files: Pages.files)
        return SubmissionVerdict.of(check, statusName: status)
    }

    @Test("A page that passes every check is accepted")
    func accepts() {
        guard case .accept(let page) = verdict(Pages.text("multi-class", Pages.multiClass)) else { Issue.record("not accepted"); return }
        #expect(page.page == "page-000001")
    }

    @Test("A label error rewrites page.json with the errors, labels kept")
    func rejects() throws {
        let misspelt = [Pages.multiClass[0],
                        #"{ "file": "b.png", "width": 320, "height": 240, "source": "in/b.png", "sha256": "bb", "tags": ["Cta"] }"#]
        let text = Pages.text("multi-class", misspelt)
        guard case .reject(let rewritten, let errors) = verdict(text) else { Issue.record("not rejected"); return }
        #expect(errors.count == 1)
        #expect(rewritten.contains(#""status": "rejected""#))
        #expect(rewritten.contains(#"["Cta"]"#))
    }

    @Test("A status that is no status (\"DONE\") goes to ERRORS.txt; a known one with only the status wrong is accepted")
    func statuses() {
        let typo = Pages.text("multi-class", Pages.multiClass, status: "DONE")
        guard case .errorsFile(let errors, let handedIn) = verdict(typo, status: "DONE") else { Issue.record("no ERRORS.txt"); return }
        #expect(!errors.isEmpty)
        #expect(!handedIn)
        let open = Pages.text("multi-class", Pages.multiClass, status: "done")
        guard case .accept = verdict(open, status: "done") else { Issue.record("not accepted"); return }
    }

    @Test("Not strict JSON: no verdict here (never rewritten; ERRORS.txt is decided before)")
    func notStrict() {
        #expect(verdict("{\"status\": \"submitted\",}") == nil)
    }
}
