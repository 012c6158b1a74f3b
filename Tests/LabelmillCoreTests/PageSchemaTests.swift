import Testing
@testable import LabelmillCore

@Suite("Page schema")
struct PageSchemaTests {
    static let schema = try! StrictJSON.parse(PageSchema.text)

    func properties(_ node: JSONNode?) -> Set<String> {
        guard case .object(let members)? = node?["properties"]?.kind else { return [] }
        return Set(members.map(\.key))
    }

    func definition(_ name: String) -> JSONNode? { Self.schema["definitions"]?[name] }

    @Test func isStrictJSONAndDraft07() {
        #expect(Self.schema["$schema"]?.value == .string("http://json-schema.org/draft-07/schema#"))
        #expect(Self.schema["additionalProperties"]?.value == .bool(false))
    }

    @Test func coversEveryKeyTheValidatorKnows() {
        #expect(properties(Self.schema) == Set(SubmissionValidator.pageKeys))
        let images = ["multiClassImage", "multiLabelImage", "bboxImage", "polygonImage"].map { properties(definition($0)) }
        #expect(images.reduce(Set<String>()) { $0.union($1) } == Set(SubmissionValidator.imageKeys))
        #expect(images[0].contains("tags") && !images[0].contains("regions"))
        #expect(images[2].contains("regions") && !images[2].contains("tags"))
        #expect(properties(definition("bboxRegion")).union(properties(definition("polygonRegion"))) == Set(SubmissionValidator.regionKeys))
        #expect(properties(definition("box")) == Set(SubmissionValidator.boxKeys))
        #expect(properties(definition("prelabel")) == Set(SubmissionValidator.prelabelKeys))
        #expect(properties(definition("error")) == Set(SubmissionValidator.errorKeys))
    }

    @Test func everyObjectIsClosedAndEveryReferenceResolves() {
        var refs: [String] = []
        func walk(_ node: JSONNode) {
            switch node.kind {
            case .object(let members):
                if node["properties"] != nil, node["type"]?.value == .string("object") {
                    #expect(node["additionalProperties"]?.value == .bool(false))
                }
                for m in members {
                    if m.key == "$ref", case .string(let r) = m.value.kind { refs.append(r) }
                    walk(m.value)
                }
            case .array(let items):
                items.forEach(walk)
            default:
                break
            }
        }
        walk(Self.schema)
        #expect(refs.count > 20)
        for ref in refs {
            #expect(ref.hasPrefix("#/definitions/"))
            #expect(definition(String(ref.dropFirst("#/definitions/".count))) != nil, "\(ref)")
        }
    }

    @Test func tasksAreChosenWithIfThen() {
        guard case .array(let branches)? = Self.schema["allOf"]?.kind else { Issue.record("no allOf"); return }
        let tasks = branches.compactMap { $0["if"]?["properties"]?["task"]?["const"]?.stringValue }
        #expect(tasks == TaskKind.allCases.map(\.rawValue))
    }
}
