import CityStewardCore
import CityStewardStore
import Foundation
import Vapor

/// The only mapping from domain errors to HTTP (reference/style.md §7.3.7).
extension DomainError: AbortError {
    public var status: HTTPResponseStatus {
        switch self {
        case .notFound: .notFound
        case .invalid: .badRequest
        case .conflict: .conflict
        case .unauthenticated: .unauthorized
        case .forbidden: .forbidden
        case .rateLimited: .tooManyRequests
        case .unprocessable: .unprocessableEntity
        case .tooLarge: .payloadTooLarge
        case .unsupportedType: .unsupportedMediaType
        }
    }

    public var reason: String { message.en }

    public var headers: HTTPHeaders {
        switch self {
        case .rateLimited(let seconds, _): ["Retry-After": String(seconds)]
        case .unauthenticated: ["WWW-Authenticate": "Bearer realm=\"citysteward\""]
        default: [:]
        }
    }
}

/// A case action that lost a race or does not fit the case's state now: 409 with the current state.
struct CaseConflict: Error {
    var error: DomainError
    var state: CaseState
    var revision: Int
}

/// Several problems at once (an import file that was read, with features the rules refuse): 422 with every problem listed.
struct ValidationProblems: Error {
    var summary: LocalizedText
    var problems: [GeoJSONProblem]
}

/// An RFC 9457 problem document.
struct Problem: Content {
    var type: String
    var title: String
    var status: Int
    var detail: String
    var instance: String?
    var field: String?
    var requestId: String?
    var errors: [Item]?
    /// For a case conflict (409): the case's current state and revision, so the client can refresh and retry.
    var state: String?
    var revision: Int?

    struct Item: Content {
        var featureIndex: Int?
        /// The field a refusal of several fields names (422).
        var field: String?
        var detail: String
    }
}

/// Replaces Vapor's ErrorMiddleware (called by `RequestContextMiddleware`): `application/problem+json` for the
/// API, an HTML page for browsers, always in the caller's language; unexpected errors are logged with the request
/// id and shown without internals.
struct ErrorRenderer: Sendable {

    func render(_ error: any Error, for request: Request) async -> Response {
        if error is ConsoleLoginRequired { return request.loginRedirect }
        let language = request.language
        var status = HTTPResponseStatus.internalServerError
        var detail: String
        var field: String?
        var headers = HTTPHeaders()
        var items: [Problem.Item]?
        var currentState: String?
        var revision: Int?
        // Only for an unrouted request, and worked out once.
        var allowedMethods: [String]?
        func allowed() -> [String] {
            if let allowedMethods { return allowedMethods }
            let found = request.application.allowedMethods.methods(for: request.url.path)
            allowedMethods = found
            return found
        }
        switch error {
        case let domain as DomainError:
            status = domain.status
            detail = domain.message(language)
            headers = domain.headers
            if case .invalid(let f, _) = domain { field = f }
            if case .unprocessable(let f, _) = domain { field = f }
            // A refusal of several fields also lists them one by one, for a client to put each by its input.
            if field?.contains(",") == true {
                items = domain.messagesByField(language).map { Problem.Item(field: $0.field, detail: $0.message) }
            }
        case let conflict as CaseConflict:
            status = .conflict
            detail = conflict.error.message(language)
            currentState = conflict.state.rawValue
            revision = conflict.revision
        case let problems as FieldProblems:
            // The same answer as the one invalid-input error they stand for: every field named, every reason.
            let error = problems.domainError
            status = error.status
            detail = error.message(language)
            if case .unprocessable(let f, _) = error { field = f }
            items = problems.problems.map { Problem.Item(field: $0.field, detail: $0.reason.text(language)) }
        case let problems as ValidationProblems:
            status = .unprocessableEntity
            detail = problems.summary.text(language)
            items = problems.problems.map { Problem.Item(featureIndex: $0.featureIndex, detail: $0.reason.text(language)) }
        case let decoding as DecodingError:
            status = .badRequest
            detail = Self.describe(decoding, language)
        case is RouteNotFound where !allowed().isEmpty, is ShadowedRoute:
            // The path exists, with other methods.
            let allowed = allowed()
            status = .methodNotAllowed
            headers = ["Allow": allowed.joined(separator: ", ")]
            detail = language == .en ? "\(request.method.rawValue) is not answered here; use \(allowed.joined(separator: ", "))"
                : "此地址不接受 \(request.method.rawValue)，可用：\(allowed.joined(separator: "、"))"
        case _ where DatabaseSetup.isStatementTimeout(error):
            // The database gave up on a statement that ran past the timeout: the request asked too much at once.
            status = .serviceUnavailable
            headers = ["Retry-After": "5"]
            detail = language == .en ? "The request took too long and was stopped; narrow the filter or the time range and try again."
                : "查询耗时过长已中止，请缩小筛选条件或时间范围后重试。"
        case _ where DatabaseSetup.isOverloaded(error):
            // Every database connection was busy for the whole wait: a moment of overload; the client may retry.
            status = .serviceUnavailable
            headers = ["Retry-After": "2"]
            detail = language == .en ? "The server is busy; try again in a moment." : "服务器繁忙，请稍后重试。"
        case let abort as any AbortError:
            status = abort.status
            headers = abort.headers
            detail = Self.standardMessage(status, language, reason: abort.reason)
        default:
            detail = language == .en ? "Something went wrong on our side; it has been logged." : "服务器内部错误，已记录，请稍后再试。"
        }
        let requestID = request.logger[metadataKey: "request-id"].map { "\($0)" }
        if status == .internalServerError {
            request.logger.error("Unhandled error: \(String(reflecting: error))")
        } else {
            request.logger.debug("\(status.code) \(detail)")
        }
        if request.path.hasPrefix("/open311/") {
            return Self.open311(status: status, detail: detail, headers: headers, request: request)
        }
        let wantsHTML = !Self.isAPI(request)
        if wantsHTML {
            return await renderPage(status: status, detail: detail, headers: headers, request: request)
        }
        let problem = Problem(type: "about:blank", title: Self.title(status, language), status: Int(status.code), detail: detail,
                              instance: request.url.path, field: field, requestId: requestID, errors: items,
                              state: currentState, revision: revision)
        let response = Response(status: status, headers: headers)
        do {
            try response.content.encode(problem, as: .json)
            response.headers.contentType = HTTPMediaType(type: "application", subType: "problem+json", parameters: ["charset": "utf-8"])
        } catch {
            response.body = .init(string: "{\"status\":\(status.code)}")
        }
        response.headers.replaceOrAdd(name: .contentLanguage, value: language.rawValue)
        return response
    }

    /// GeoReport v2 errors (spec §Errors): 404 for what does not exist, 403 for a wrong or missing api_key, 400 for
    /// anything else, with the more specific status (413, 415, 422 …) as the error's code; in the format the path asks for.
    static func open311(status: HTTPResponseStatus, detail: String, headers: HTTPHeaders, request: Request) -> Response {
        let http: HTTPResponseStatus = switch status.code {
        case 404: .notFound
        case 401, 403: .forbidden
        case 429: .tooManyRequests
        case 500...: status
        default: .badRequest
        }
        let format: Open311Format = request.url.path.lowercased().hasSuffix(".json") ? .json : .xml
        let response = Open311Document.errors([(Int(status.code == 401 ? 403 : status.code), detail)]).response(format, status: http)
        for (name, value) in headers where name.lowercased() != "www-authenticate" { response.headers.replaceOrAdd(name: name, value: value) }
        return response
    }

    static func isAPI(_ request: Request) -> Bool {
        let path = request.path
        return path.hasPrefix("/api/") || path == "/metrics" || path.hasPrefix("/open311/")
    }

    func renderPage(status: HTTPResponseStatus, detail: String, headers: HTTPHeaders, request: Request) async -> Response {
        struct ErrorPage: Encodable {
            var page: PageChrome
            var status: Int
            var title: String
            var detail: String
        }
        let language = request.language
        let page = ErrorPage(page: PageChrome(request: request, title: Self.title(status, language)), status: Int(status.code),
                             title: Self.title(status, language), detail: detail)
        do {
            // Residents' pages answer in the portal's own look, with the way back to reporting (not the staff login).
            let path = request.path
            let resident = ["/report", "/t/", "/find", "/c/", "/q/", "/public/"].contains { path.hasPrefix($0) } && request.actor == nil
            let view = try await request.view.render(resident ? "portal/error" : "error", page)
            let response = try await view.encodeResponse(status: status, for: request)
            for (name, value) in headers { response.headers.replaceOrAdd(name: name, value: value) }
            return response
        } catch {
            let response = Response(status: status, headers: headers)
            response.body = .init(string: "\(status.code) \(detail)")
            response.headers.contentType = .plainText
            return response
        }
    }

    static func title(_ status: HTTPResponseStatus, _ language: Language) -> String {
        switch (status.code, language) {
        case (400, .zhHans): "请求有误"
        case (401, .zhHans): "需要登录"
        case (403, .zhHans): "没有权限"
        case (404, .zhHans): "找不到"
        case (405, .zhHans): "不支持该方法"
        case (409, .zhHans): "冲突"
        case (413, .zhHans): "内容过大"
        case (415, .zhHans): "不支持的内容类型"
        case (422, .zhHans): "无法处理"
        case (429, .zhHans): "请求过多"
        case (500, .zhHans): "服务器错误"
        case (_, .zhHans): "错误"
        default: status.reasonPhrase
        }
    }

    static func standardMessage(_ status: HTTPResponseStatus, _ language: Language, reason: String) -> String {
        switch (status.code, language) {
        case (404, .zhHans): "找不到该地址或记录"
        case (404, .en): "no such address or record"
        case (405, .zhHans): "该地址不支持此请求方法"
        case (413, .zhHans): "请求内容过大"
        case (415, .zhHans): "不支持的内容类型"
        case (401, .zhHans): "需要登录或有效的令牌"
        case (401, .en): "authentication required"
        case (403, .zhHans): "没有权限"
        case (400, .zhHans): "请求格式不正确：\(reason)"
        default: reason
        }
    }

    static func describe(_ error: DecodingError, _ language: Language) -> String {
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, _):
            return language == .en ? "\(key.stringValue) is required" : "缺少字段 \(key.stringValue)"
        case .valueNotFound(_, let context):
            return language == .en ? "\(path(context)) is required" : "缺少字段 \(path(context))"
        case .typeMismatch(let type, let context):
            return language == .en ? "\(path(context)) has the wrong type (expected \(type))" : "字段 \(path(context)) 类型不正确（应为 \(type)）"
        case .dataCorrupted(let context):
            let where_ = path(context)
            if where_.isEmpty { return language == .en ? "the body is not valid JSON or form data" : "请求内容不是有效的 JSON 或表单" }
            return language == .en ? "\(where_) is invalid" : "字段 \(where_) 无效"
        @unknown default:
            return language == .en ? "the body could not be read" : "无法读取请求内容"
        }
    }
}
