import CityStewardCore
import Crypto
import Foundation
import Vapor

/// The outermost layer: request id, metrics, error rendering and security headers, in one future-based middleware.
/// Vapor runs every `AsyncMiddleware` in a task of its own (a thread hop each), so the layers every request passes
/// are plain `Middleware`; only the rare paths (an error page, a credential lookup) start a task.
struct RequestContextMiddleware: Middleware {
    static let contentSecurityPolicy = [
        "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:",
        "object-src 'none'", "base-uri 'self'", "form-action 'self'", "frame-ancestors 'none'",
    ].joined(separator: "; ")

    let secure: Bool
    let errors = ErrorRenderer()

    func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        let start = ContinuousClock.now
        // Vapor tags the request's logger with the caller's X-Request-Id or a fresh UUID; keep that unless the
        // caller's value is not a sane id (it would reach logs and response headers).
        let id: String
        let incoming = request.headers.first(name: "X-Request-Id")
        if case .string(let existing)? = request.logger[metadataKey: "request-id"], incoming == nil || Self.isValidRequestID(existing) {
            id = existing
        } else {
            id = UUID.random().uuidString
            request.logger[metadataKey: "request-id"] = .string(id)
        }
        let errors = self.errors
        // The API names its languages: an unknown `lang` is a client's mistake worth hearing about (pages fall back).
        let refused = request.url.query?.contains("lang=") == true && ErrorRenderer.isAPI(request)
            && (try? request.query.get(String.self, at: "lang")).map { !Self.isLanguageTag($0) } == true
        return (refused ? request.eventLoop.makeFailedFuture(Self.unknownLanguage) : next.respond(to: request))
            .flatMapError { error in
                request.eventLoop.makeFutureWithTask { await errors.render(error, for: request) }
            }
            .map { response in
                self.decorate(response, request: request, id: id)
                request.application.metricsIfRunning?.record(method: request.method, route: request.route, status: response.status.code,
                                                             duration: ContinuousClock.now - start)
                return response
            }
    }

    static let unknownLanguage = DomainError.invalid("lang", zh: "lang 应为 zh-Hans 或 en（也可写 zh、zh-CN、en-US 等）",
                                                     en: "lang must be zh-Hans or en (zh, zh-CN, en-US and the like are read too)")

    /// A tag of one of the product's languages, well formed (what the document's pattern says): zh or en, then
    /// subtags of 1–8 letters or digits after - or _.
    static func isLanguageTag(_ text: String) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false).flatMap { $0.split(separator: "_", omittingEmptySubsequences: false) }
        guard let first = parts.first, ["zh", "en"].contains(first.lowercased()) else { return false }
        return parts.dropFirst().allSatisfy { (1...8).contains($0.count) && $0.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) } }
    }

    static func isValidRequestID(_ text: String) -> Bool {
        (8...128).contains(text.utf8.count)
            && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == ".") }
    }

    func decorate(_ response: Response, request: Request, id: String) {
        var headers = response.headers
        headers.replaceOrAdd(name: "X-Request-Id", value: id)
        headers.replaceOrAdd(name: "Content-Security-Policy", value: Self.contentSecurityPolicy)
        headers.replaceOrAdd(name: "X-Content-Type-Options", value: "nosniff")
        headers.replaceOrAdd(name: "X-Frame-Options", value: "DENY")
        headers.replaceOrAdd(name: "Referrer-Policy", value: "strict-origin-when-cross-origin")
        headers.replaceOrAdd(name: "Permissions-Policy", value: "geolocation=(self), camera=(self), microphone=()")
        headers.replaceOrAdd(name: "Cross-Origin-Opener-Policy", value: "same-origin")
        if secure { headers.replaceOrAdd(name: "Strict-Transport-Security", value: "max-age=31536000") }
        // What a signed-in caller is answered is theirs alone: no browser or proxy may keep it (after signing out, Back
        // would show staff pages again). Responses that say how to cache themselves (static files) keep that.
        if request.actor != nil, headers[.cacheControl].isEmpty { headers.replaceOrAdd(name: .cacheControl, value: "no-store") }
        response.headers = headers
        // Remember an explicit ?lang= choice for the console.
        if !request.path.hasPrefix("/api/"), request.url.query?.contains("lang=") == true,
           let explicit = try? request.query.get(String.self, at: "lang"), let language = Language(tag: explicit) {
            response.cookies["lang"] = HTTPCookies.Value(string: language.rawValue, maxAge: 365 * 24 * 3600, path: "/",
                                                         isHTTPOnly: true, sameSite: .lax)
        }
    }
}

extension Request {
    private struct PathKey: StorageKey { typealias Value = String }

    /// The request's path, worked out once: `url.path` decodes it again on every read (Foundation's
    /// `replacingOccurrences` each time), and the middleware every request passes asked for it five times.
    var path: String {
        if let known = storage[PathKey.self] { return known }
        let path = url.path
        storage[PathKey.self] = path
        return path
    }
}

/// Serves `Public/` only for static paths, so other requests do not pay a file-system lookup.
struct StaticFilesMiddleware: Middleware {
    let files: FileMiddleware
    static let prefixes = ["/css/", "/js/", "/img/", "/favicon.ico", "/robots.txt"]

    func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        let path = request.path
        guard Self.prefixes.contains(where: { path.hasPrefix($0) }) else { return next.respond(to: request) }
        return files.respond(to: request, chainingTo: next)
    }
}

/// CSRF protection for the web console (Vapor has none): a random token per session, required as the `_csrf`
/// form field or `X-CSRF-Token` header on every state-changing request outside the bearer-token API.
struct CSRFMiddleware: Middleware {
    static let sessionKey = "csrf"
    /// The largest form the console takes (a patrol report with photos).
    static let maxFormBytes = 64 * 1024 * 1024

    func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        let unsafe = ![.GET, .HEAD, .OPTIONS].contains(request.method)
        guard unsafe && !ErrorRenderer.isAPI(request) else { return next.respond(to: request) }
        // A method no route takes here is answered by routing (405 or 404), not refused as a forged form.
        guard request.application.allowedMethods.methods(for: request.url.path).contains(request.method.rawValue) else {
            return next.respond(to: request)
        }
        // The token is in the body: collect it first (a form with photos arrives in several parts).
        return request.body.collect(max: Self.maxFormBytes).flatMap { _ in
            let expected = request.hasSession ? request.session.data[Self.sessionKey] : nil
            let presented = request.headers.first(name: "X-CSRF-Token") ?? (try? request.content.get(String.self, at: "_csrf"))
            guard let expected, let presented, Self.constantTimeEqual(expected, presented) else {
                return request.eventLoop.makeFailedFuture(DomainError.forbidden(LocalizedText(
                    zh: "表单已过期或来源不明（CSRF 校验失败），请刷新页面后重试",
                    en: "the form has expired or did not come from this site (CSRF check failed); reload the page and try again")))
            }
            return next.respond(to: request)
        }
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

extension Request {
    /// A yes/no query parameter: absent or empty is no; anything but true/false (1/0) is refused with its name, not
    /// read as no.
    func flag(_ name: String) throws -> Bool {
        guard let text = query[String.self, at: name], !text.isEmpty else {
            // Present but not one value (`?unpaid=a&unpaid=b`): refused like a value that is not a flag.
            if url.query?.split(separator: "&").contains(where: { $0 == name || $0.hasPrefix(name + "=") }) == true,
               query[String.self, at: name] == nil {
                throw DomainError.invalid(name, zh: "\(name) 应为 true 或 false", en: "\(name) is true or false")
            }
            return false
        }
        switch text.lowercased() {
        case "true", "1": return true
        case "false", "0": return false
        default: throw DomainError.invalid(name, zh: "\(name) 应为 true 或 false", en: "\(name) is true or false")
        }
    }
}

/// The one way a list pages (docs/api.md, "Lists"): an answer carries `next` while there is more, and the request
/// after it passes that token as `after`. The numbered lists (audit, residents) keep `page` as well.
enum PageToken {
    /// The page asked for: `after` (a `next` token) or `page`, the first by default; out of 1…`max` is a 400.
    static func page(page: Int?, after: String?, max: Int) throws -> Int {
        let asked: Int
        if let after, !after.isEmpty {
            guard let n = Int(after) else {
                throw DomainError.invalid("after", zh: "after 应为上一页返回的 next", en: "after must be the next value of a page")
            }
            asked = n
        } else {
            asked = page ?? 1
        }
        guard (1...max).contains(asked) else {
            throw DomainError.invalid(after?.isEmpty == false ? "after" : "page", zh: "页码应为 1~\(max)", en: "the page is 1 to \(max)")
        }
        return asked
    }

    /// The token of the page after `page`, or nil when `page` is the last of `total` rows in pages of `size`.
    static func next(after page: Int, total: Int, size: Int) -> String? {
        page * size < total ? String(page + 1) : nil
    }
}
