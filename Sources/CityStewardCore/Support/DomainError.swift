import Foundation

/// The one error vocabulary of the domain. The App layer maps each case to an HTTP status in one place;
/// the message is written here, in both languages, so API, web and CLI say the same thing.
public enum DomainError: Error, Equatable, Sendable {
    /// The record does not exist, or the caller may not know it exists (scope misses answer the same way).
    case notFound(LocalizedText)
    /// The input is invalid; `field` names the offending field when there is one.
    case invalid(field: String?, LocalizedText)
    /// The request conflicts with the current state (duplicate code, concurrent change).
    case conflict(LocalizedText)
    /// The caller did not prove who it is (missing or wrong credentials).
    case unauthenticated(LocalizedText)
    /// The caller is known but lacks the permission or scope.
    case forbidden(LocalizedText)
    /// Too many attempts; retry after the given number of seconds.
    case rateLimited(retryAfterSeconds: Int, LocalizedText)
    /// Well-formed, but the content cannot be processed (a position outside the district).
    case unprocessable(field: String?, LocalizedText)
    /// A part of the request is larger than allowed (a photo over the size limit).
    case tooLarge(LocalizedText)
    /// A part of the request has a type we do not take (a photo that is not JPEG, PNG or WebP).
    case unsupportedType(LocalizedText)

    public var message: LocalizedText {
        switch self {
        case .notFound(let m), .invalid(_, let m), .conflict(let m), .unauthenticated(let m),
             .forbidden(let m), .rateLimited(_, let m), .unprocessable(_, let m), .tooLarge(let m), .unsupportedType(let m):
            m
        }
    }

    public func message(_ language: Language) -> String { message.text(language) }

    public static func invalid(_ field: String?, zh: String, en: String) -> DomainError {
        .invalid(field: field, LocalizedText(zh: zh, en: en))
    }

    /// Several problems of one input as one refusal: the fields joined by commas, the reasons in the same order.
    public static func invalid(_ problems: [FieldProblem]) -> DomainError {
        .invalid(field: problems.map(\.field).joined(separator: ","), LocalizedText(
            zh: problems.map(\.reason.zh).joined(separator: zhSeparator), en: problems.map(\.reason.en).joined(separator: enSeparator)))
    }

    /// Several rule refusals of one input as one (422), in the same form as `invalid(_:)`.
    public static func refused(_ problems: [FieldProblem]) -> DomainError {
        guard case .invalid(let field, let text) = invalid(problems) else { return invalid(problems) }
        return .unprocessable(field: field, text)
    }

    private static let zhSeparator = "；"
    private static let enSeparator = "; "

    /// The refusal's message by field, for a form that shows each by its field (one refusal of several problems
    /// made by `invalid(_:)` gives one message each); nil field: the message has no field of its own.
    public func messagesByField(_ language: Language) -> [(field: String?, message: String)] {
        let text = message(language)
        let fields: [String] = switch self {
        case .invalid(let f, _), .unprocessable(let f, _): (f ?? "").split(separator: ",").map(String.init)
        default: []
        }
        guard !fields.isEmpty else { return [(nil, text)] }
        let parts = text.components(separatedBy: language == .en ? Self.enSeparator : Self.zhSeparator)
        return fields.enumerated().map { ($0.element, parts.count == fields.count ? parts[$0.offset] : text) }
    }

    /// Input of the documented form that a rule of the domain, or the data as it stands, refuses (422), naming its field.
    public static func refused(_ field: String?, zh: String, en: String) -> DomainError {
        .unprocessable(field: field, LocalizedText(zh: zh, en: en))
    }

    public static func notFound(zh: String, en: String) -> DomainError {
        .notFound(LocalizedText(zh: zh, en: en))
    }

    public static func conflict(zh: String, en: String) -> DomainError {
        .conflict(LocalizedText(zh: zh, en: en))
    }
}
