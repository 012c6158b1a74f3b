import ArgumentParser

struct TokenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Sign-in links for the web page on a non-loopback address.",
        subcommands: [TokenAddCommand.self, TokenListCommand.self, TokenRevokeCommand.self])
}
