import CityStewardCore
import Crypto
import Foundation
import Vapor

/// Security headers on every response (DESIGN §6): a CSP without inline script or style, no framing, no sniffing.
struct SecurityHeadersMiddleware: AsyncMiddleware {
    static let contentSecurityPolicy = [
        "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:",
        "object-src 'none'", "base-uri 'self'", "form-action 'self'", "frame-ancestors 'none'",
    ].joined(separator: "; ")

    let secure: Bool

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let response = try await next.respond(to: request)
        let h = response.headers
        var headers = h
        headers.replaceOrAdd(name: "Content-Security-Policy", value: Self.contentSecurityPolicy)
        headers.replaceOrAdd(name: "X-Content-Type-Options", value: "nosniff")
        headers.replaceOrAdd(name: "X-Frame-Options", value: "DENY")
        headers.replaceOrAdd(name: "Referrer-Policy", value: "strict-origin-when-cross-origin")
        headers.replaceOrAdd(name: "Permissions-Policy", value: "geolocation=(self), camera=(self), microphone=()")
        headers.replaceOrAdd(name: "Cross-Origin-Opener-Policy", value: "same-origin")
        if secure { headers.replaceOrAdd(name: "Strict-Transport-Security", value: "max-age=31536000") }
        response.headers = headers
        return response
    }
}

/// Gives each request an id (the caller's `X-Request-Id` when it is sane), puts it on every log line of the
/// request and returns it in the response.
struct RequestIDMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let incoming = request.headers.first(name: "X-Request-Id")
        let id: String
        if let incoming, (8...128).contains(incoming.count),
           incoming.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == ".") }) {
            id = incoming
        } else {
            id = UUID().uuidString.lowercased()
        }
        request.logger[metadataKey: "request-id"] = .string(id)
        let response = try await next.respond(to: request)
        response.headers.replaceOrAdd(name: "X-Request-Id", value: id)
        return response
    }
}

/// CSRF protection for the web console (Vapor has none): a random token per session, required as the `_csrf`
/// form field or `X-CSRF-Token` header on every state-changing request outside the bearer-token API.
struct CSRFMiddleware: AsyncMiddleware {
    static let sessionKey = "csrf"

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let unsafe = ![.GET, .HEAD, .OPTIONS].contains(request.method)
        if unsafe && !ErrorRenderer.isAPI(request) {
            let expected = request.hasSession ? request.session.data[Self.sessionKey] : nil
            let presented = request.headers.first(name: "X-CSRF-Token") ?? (try? request.content.get(String.self, at: "_csrf"))
            guard let expected, let presented, Self.constantTimeEqual(expected, presented) else {
                throw DomainError.forbidden(LocalizedText(
                    zh: "表单已过期或来源不明（CSRF 校验失败），请刷新页面后重试",
                    en: "the form has expired or did not come from this site (CSRF check failed); reload the page and try again"))
            }
        }
        return try await next.respond(to: request)
    }

    /// The session's token, created on first use.
    static func token(for request: Request) -> String {
        if let existing = request.session.data[sessionKey] { return existing }
        var bytes = [UInt8](repeating: 0, count: 24)
        var generator = SystemRandomNumberGenerator()
        for i in bytes.indices { bytes[i] = UInt8.random(in: .min ... .max, using: &generator) }
        let token = Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        request.session.data[sessionKey] = token
        return token
    }

    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for i in x.indices { difference |= x[i] ^ y[i] }
        return difference == 0
    }
}
