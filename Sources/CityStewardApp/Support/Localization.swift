import CityStewardCore
import Foundation
import Leaf
import Vapor

/// UI strings, one JSON file per language in `Resources/Locales/`. Loaded once at start.
struct Localizer: Sendable {
    let tables: [Language: [String: String]]

    static func load(directory: String) throws -> Localizer {
        var tables: [Language: [String: String]] = [:]
        for language in Language.allCases {
            let path = (directory as NSString).appendingPathComponent("\(language.rawValue).json")
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            tables[language] = try JSONDecoder().decode([String: String].self, from: data)
        }
        return Localizer(tables: tables)
    }

    /// The string for `key`; falls back to the default language, then to the key itself so a gap is visible.
    func text(_ key: String, _ language: Language) -> String {
        tables[language]?[key] ?? tables[.default]?[key] ?? key
    }
}

extension Application {
    private struct LocalizerKey: StorageKey { typealias Value = Localizer }
    var localizer: Localizer {
        get { storage[LocalizerKey.self] ?? Localizer(tables: [:]) }
        set { storage[LocalizerKey.self] = newValue }
    }
}

extension Request {
    private struct LanguageKey: StorageKey { typealias Value = Language }

    /// The caller's language: `?lang=` first, then the `lang` cookie the web console sets, then Accept-Language.
    var language: Language {
        if let cached = storage[LanguageKey.self] { return cached }
        let explicit = (url.query == nil ? nil : try? query.get(String.self, at: "lang")) ?? cookies["lang"]?.string
        let language = Language.negotiate(explicit: explicit, acceptLanguage: headers.first(name: .acceptLanguage))
        storage[LanguageKey.self] = language
        return language
    }

    func t(_ key: String) -> String { application.localizer.text(key, language) }
}

/// `#t("key")` in templates: the UI string in the request's language (escaped like any other output).
struct TranslateTag: LeafTag {
    func render(_ ctx: LeafContext) throws -> LeafData {
        guard let key = ctx.parameters.first?.string else { throw "#t needs a key" }
        guard let request = ctx.request else { return .string(key) }
        return .string(request.t(key))
    }
}

