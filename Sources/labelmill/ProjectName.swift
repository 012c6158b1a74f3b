import ArgumentParser
import LabelmillCore

/// A PROJECT operand: a folder name under Inbox and Outbox.
enum ProjectName {
    static func validate(_ project: String) throws {
        guard Names.isValidName(project) else {
            throw ValidationError("\"\(project)\" is not a project name: use 1-64 letters, digits, '-', '_' or '.', not starting with '.'")
        }
    }
}
