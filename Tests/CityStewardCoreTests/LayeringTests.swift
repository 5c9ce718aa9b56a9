import Foundation
import Testing

/// The layering of DESIGN §4, checked on the source: Core imports Foundation only; Store never imports Vapor.
@Suite("Layering")
struct LayeringTests {
    static let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Sources")

    func imports(in target: String) throws -> [String: Set<String>] {
        let root = Self.sources.appendingPathComponent(target)
        let files = try #require(FileManager.default.enumerator(atPath: root.path)).compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") }
        #expect(!files.isEmpty)
        var result: [String: Set<String>] = [:]
        for file in files {
            let text = try String(contentsOf: root.appendingPathComponent(file), encoding: .utf8)
            for line in text.split(separator: "\n") where line.hasPrefix("import ") || line.hasPrefix("@preconcurrency import ") {
                let module = line.split(separator: " ").last.map(String.init) ?? ""
                result[file, default: []].insert(module)
            }
        }
        return result
    }

    @Test func coreImportsFoundationOnly() throws {
        for (file, modules) in try imports(in: "CityStewardCore") {
            #expect(modules.subtracting(["Foundation"]).isEmpty, "\(file) imports \(modules)")
        }
    }

    @Test func storeImportsNoVapor() throws {
        for (file, modules) in try imports(in: "CityStewardStore") {
            #expect(!modules.contains("Vapor") && !modules.contains("Fluent") && !modules.contains("Leaf"), "\(file) imports \(modules)")
        }
    }
}
