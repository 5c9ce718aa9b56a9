import Foundation
import Vapor

/// `citysteward --help`, `help [COMMAND…]`, `COMMAND --help` and `--version`: answered from the commands'
/// descriptions alone, before any configuration is read, so asking for help never opens a database or creates a
/// data folder.
enum Usage {
    /// The product's version (the API is `/api/v1`, its document `Resources/openapi.json`).
    static let version = "1.0.0"

    /// What to print for this command line and the exit status, or nil when it asks for something other than help
    /// or the version.
    static func answer(_ arguments: [String]) async -> (text: String, status: Int32)? {
        let program = "citysteward"
        var rest = Array(arguments.dropFirst())
        // `--data DIR` may stand anywhere; it plays no part in help.
        if let i = rest.firstIndex(of: "--data") { rest.removeSubrange(i..<min(rest.count, i + 2)) }
        rest.removeAll { $0.hasPrefix("--data=") }
        if rest.first == "version" || rest.contains("--version") || rest == ["-V"] {
            return ("\(program) \(version) (City Steward 城市管家; API v1)\n", 0)
        }
        let asked: [String]
        if rest.first == "help" {
            asked = Array(rest.dropFirst())
        } else if rest.contains("--help") || rest.contains("-h") {
            asked = rest.filter { $0 != "--help" && $0 != "-h" && !$0.hasPrefix("-") }
        } else {
            return nil
        }
        var commands = AsyncCommands(enableAutocomplete: false)
        commands.use(ServeHelp(), as: "serve", isDefault: false)
        commands.use(DemoHelp(), as: "demo")
        for (name, command) in cityStewardCommands() { commands.use(command, as: name) }
        let console = TextConsole()
        let group = commands.group(help: """
            City Steward 城市管家 \(version): the platform for the stewards of Longhua's urban villages.
            Usage: \(program) [COMMAND] [--data DIR] …   (no command: serve). Every command reads CITYSTEWARD_* settings (README).
            """)
        var context = CommandContext(console: console, input: CommandInput(arguments: [program] + asked))
        do {
            try group.outputHelp(using: &context)
        } catch {
            return ("\(program): \(error)\nRun `\(program) --help` for the commands.\n", 64)
        }
        return (console.text, 0)
    }

    /// `serve` is run by `CityStewardMain`; this only describes it.
    struct ServeHelp: AsyncCommand {
        struct Signature: CommandSignature {
            @Option(name: "host", short: "H", help: "the address to listen on (default 127.0.0.1, or HOST)") var host: String?
            @Option(name: "port", short: "p", help: "the port (default 8080, or PORT)") var port: Int?
            @Option(name: "data", help: "the data folder: database file, photos, keys (default ./data, or CITYSTEWARD_DATA_DIR)") var data: String?
        }
        var help: String { "Runs the server on a district set up with `init` (refuses a database without one). The default command." }
        func run(using context: CommandContext, signature: Signature) async throws {}
    }

    struct DemoHelp: AsyncCommand {
        struct Signature: CommandSignature {
            @Option(name: "host", short: "H", help: "the address to listen on (default 127.0.0.1)") var host: String?
            @Option(name: "port", short: "p", help: "the port (default 8080)") var port: Int?
            @Option(name: "data", help: "the demo's data folder (default ./data)") var data: String?
        }
        var help: String { "Runs the server on the demo district (SQLite, demo logins, cases, devices, money), made on first start." }
        func run(using context: CommandContext, signature: Signature) async throws {}
    }
}

/// A console that keeps what is written (help text is printed by the caller once it is whole).
private final class TextConsole: Console, @unchecked Sendable {
    private(set) var text = ""
    var userInfo: [AnySendableHashable: any Sendable] = [:]
    var size: (width: Int, height: Int) { (100, 40) }

    func input(isSecure: Bool) -> String { "" }
    func output(_ text: ConsoleText, newLine: Bool) {
        self.text += text.fragments.map(\.string).joined() + (newLine ? "\n" : "")
    }
    func clear(_ type: ConsoleClear) {}
    func report(error: String, newLine: Bool) { text += error + (newLine ? "\n" : "") }
}
