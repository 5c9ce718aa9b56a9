import Foundation

/// The languages the product speaks. zh-Hans is the default; English is the second language.
public enum Language: String, Sendable, CaseIterable, Codable {
    case zhHans = "zh-Hans"
    case en

    public static let `default`: Language = .zhHans

    /// Picks the language from an explicit choice (`?lang=`) first, then from an `Accept-Language` header.
    public static func negotiate(explicit: String?, acceptLanguage: String?) -> Language {
        if let explicit, let chosen = Language(tag: explicit) { return chosen }
        guard let header = acceptLanguage, !header.isEmpty else { return .default }
        // "en-US,en;q=0.9,zh-CN;q=0.8": take the highest q among the tags we know.
        var best: (language: Language, q: Double)?
        for (position, part) in header.split(separator: ",").enumerated() {
            let pieces = part.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let tag = pieces.first, let language = Language(tag: tag) else { continue }
            var q = 1.0
            for parameter in pieces.dropFirst() where parameter.hasPrefix("q=") {
                q = Double(parameter.dropFirst(2)) ?? 0
            }
            // Earlier entries win ties, as the header lists preferences in order.
            let adjusted = q - Double(position) * 1e-6
            if q > 0, best == nil || adjusted > best!.q { best = (language, adjusted) }
        }
        return best?.language ?? .default
    }

    /// Accepts BCP 47 tags loosely: `zh`, `zh-CN`, `zh-Hans`, `zh-Hans-CN` → zh-Hans; `en`, `en-GB` → en.
    public init?(tag: String) {
        let lower = tag.lowercased()
        if lower == "zh" || lower.hasPrefix("zh-") || lower.hasPrefix("zh_") { self = .zhHans; return }
        if lower == "en" || lower.hasPrefix("en-") || lower.hasPrefix("en_") { self = .en; return }
        return nil
    }

    public var htmlTag: String { rawValue }
}

/// A text in both product languages. Domain messages are written in Core so that every channel says the same thing.
public struct LocalizedText: Sendable, Equatable, Hashable, Codable {
    public var zh: String
    public var en: String

    public init(zh: String, en: String) {
        self.zh = zh
        self.en = en
    }

    public func text(_ language: Language) -> String {
        switch language {
        case .zhHans: zh
        case .en: en
        }
    }
}
