import CityStewardCore
import Foundation
import Vapor

/// Pieces every console page shares: the login guard, rendering, choices in forms, CSV downloads.

/// A console page asked for without a signed-in user: the error renderer answers with the login page, which
/// comes back here afterwards.
struct ConsoleLoginRequired: Error {}

extension Request {
    /// The signed-in caller of a console page; without one the page answers with a redirect to the login form.
    func consoleActor() throws -> Actor {
        guard let actor else { throw ConsoleLoginRequired() }
        return actor
    }

    /// The login form, coming back to this page.
    var loginRedirect: Response {
        redirect(to: "/login?next=" + (url.path.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? "/"))
    }

    /// A console page: the template rendered with its context (which carries a `PageChrome`).
    func page(_ template: String, _ context: some Encodable & Sendable, status: HTTPStatus = .ok) async throws -> Response {
        try await view.render(template, context).encodeResponse(status: status, for: self)
    }
}

/// One choice of a `<select>` or a row of checkboxes.
struct Choice: Encodable, Sendable {
    var value: String
    var label: String
    var selected: Bool = false
}

/// A CSV download.
enum CSVResponse {
    static func make(_ text: String, filename: String) -> Response {
        var headers = HTTPHeaders()
        headers.replaceOrAdd(name: .contentType, value: "text/csv; charset=utf-8")
        headers.replaceOrAdd(name: .contentDisposition, value: "attachment; filename=\"\(filename)\"")
        headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return Response(status: .ok, headers: headers, body: .init(string: text))
    }
}

/// A refused form's problems by field, for showing each next to its field with what was typed: the problems of a
/// rule (`FieldProblems`) and refused or malformed input (`DomainError.unprocessable`, `.invalid`). Anything else is
/// not the form's to show and is thrown on.
enum FormErrors {
    static func byField(_ error: any Error, _ language: Language) throws -> [String: String] {
        var errors: [String: String] = [:]
        if let problems = error as? FieldProblems {
            for p in problems.problems { errors[p.field] = [errors[p.field], p.reason.text(language)].compactMap { $0 }.joined(separator: language == .en ? "; " : "；") }
        } else if let domain = error as? DomainError {
            switch domain {
            case .unprocessable, .invalid: for m in domain.messagesByField(language) { errors[m.field ?? "form"] = m.message }
            default: throw error
            }
        } else {
            throw error
        }
        return errors
    }
}
