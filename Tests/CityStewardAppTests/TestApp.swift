@testable import CityStewardApp
import CityStewardCore
import CityStewardStore
import CityStewardTestSupport
import Foundation
import Testing
import VaporTesting

/// A configured, migrated application with the demo district loaded: on in-memory SQLite, or on PostgreSQL in a
/// schema of its own when TEST_DATABASE_URL is set. Real Bcrypt (at the minimum cost), real sessions, real HTTP
/// handling in memory. The app's clock is a `TestClock` at `testStart` (`app.testClock` moves it).
/// `demo: false` starts from an empty, migrated database, as `citysteward init` finds it.
func withTestApp(demo: Bool = true, _ adjust: (inout AppConfig) -> Void = { _ in }, _ body: (Application) async throws -> Void) async throws {
    let location = TestDatabase.freshLocation()
    let clock = TestClock()
    var config = AppConfig.testing(database: location)
    config.clock = clock.wallClock
    adjust(&config)
    let app = try await Application.make(.testing)
    app.testClock = clock
    do {
        try await configure(app, config: config)
        app.smsGateway = RecordingSMSGateway()   // the outside SMS gateway's stand-in
        try await TestDatabase.prepare(location, on: app.db)
        try await app.autoMigrate()
        if demo {
            try await DemoLoader.load(on: app.db) { try await app.password.async.hash($0) }
            try await DemoLoader.loadCaseReference(app.caseReference.shipped, on: app.db, now: app.clock.now)
        }
        try await body(app)
        try await TestDatabase.cleanUp(location, on: app.db)
    } catch {
        try? await TestDatabase.cleanUp(location, on: app.db)
        try? await app.asyncShutdown()
        throw error
    }
    try await app.asyncShutdown()
}

extension Application {
    private struct TestClockKey: StorageKey { typealias Value = TestClock }
    /// The clock `withTestApp` gave the app: tests move it to let time pass.
    var testClock: TestClock {
        get { storage[TestClockKey.self]! }
        set { storage[TestClockKey.self] = newValue }
    }
}

struct Reply {
    var status: HTTPStatus
    var headers: HTTPHeaders
    var text: String

    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
    }

    /// The session cookie the server set, ready to send back.
    var sessionCookie: String? {
        headers[.setCookie].compactMap { line -> String? in
            guard line.hasPrefix("citysteward_session=") else { return nil }
            return String(line.split(separator: ";")[0])
        }.first
    }

    var csrfToken: String? {
        guard let range = text.range(of: "name=\"_csrf\" value=\"") else { return nil }
        let rest = text[range.upperBound...]
        return rest.firstIndex(of: "\"").map { String(rest[..<$0]) }
    }
}

@discardableResult
func send(_ app: Application, _ method: HTTPMethod, _ path: String, headers: HTTPHeaders = [:], json: [String: Any]? = nil,
          form: [String: String]? = nil, raw: String? = nil) async throws -> Reply {
    var headers = headers
    var body: ByteBuffer?
    if let json {
        body = ByteBuffer(data: try JSONSerialization.data(withJSONObject: json))
        headers.contentType = .json
    } else if let form {
        let encoded = form.map { key, value in
            "\(key)=\(value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? value)"
        }.joined(separator: "&")
        body = ByteBuffer(string: encoded)
        headers.contentType = .urlEncodedForm
    } else if let raw {
        body = ByteBuffer(string: raw)
        if headers.contentType == nil { headers.contentType = .json }
    }
    let response = try await app.testing().sendRequest(method, path, headers: headers, body: body)
    return Reply(status: response.status, headers: response.headers, text: String(buffer: response.body))
}

/// A bearer token for a demo user, through the real token endpoint.
func token(_ app: Application, _ username: String) async throws -> String {
    let reply = try await send(app, .POST, "/api/v1/auth/token", json: ["username": username, "password": DemoDistrict.password])
    #expect(reply.status == .ok, "token for \(username): \(reply.text)")
    return try #require(reply.json["token"] as? String)
}

func bearer(_ token: String) -> HTTPHeaders { ["Authorization": "Bearer \(token)"] }

/// Logs in through the web form (GET the form for its CSRF token, POST it) and returns the session cookie.
func webLogin(_ app: Application, _ username: String, password: String = DemoDistrict.password) async throws -> (cookie: String, reply: Reply) {
    let form = try await send(app, .GET, "/login")
    let cookie = try #require(form.sessionCookie)
    let csrf = try #require(form.csrfToken)
    let reply = try await send(app, .POST, "/login", headers: ["Cookie": cookie],
                               form: ["_csrf": csrf, "username": username, "password": password, "next": "/"])
    return (reply.sessionCookie ?? cookie, reply)
}

func areaID(_ app: Application, code: String) async throws -> String {
    try #require(try await AreaStore(db: app.db).find(code: code)).id.uuidString.lowercased()
}

/// A multipart/form-data body, as a browser sends a form with files.
struct MultipartForm {
    let boundary = "----citysteward\(UUID().uuidString.prefix(8))"
    var body = Data()

    mutating func field(_ name: String, _ value: String) {
        body += Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8)
    }

    mutating func file(_ name: String, _ data: Data, _ type: String, filename: String = "photo") {
        body += Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"; filename=\"\(filename)\"\r\nContent-Type: \(type)\r\n\r\n".utf8)
        body += data
        body += Data("\r\n".utf8)
    }

    func send(_ app: Application, _ path: String, method: HTTPMethod = .POST, cookie: String? = nil) async throws -> Reply {
        var headers: HTTPHeaders = [:]
        if let cookie { headers.add(name: .cookie, value: cookie) }
        headers.contentType = HTTPMediaType(type: "multipart", subType: "form-data", parameters: ["boundary": boundary])
        let response = try await app.testing().sendRequest(method, path, headers: headers, body: ByteBuffer(data: body + Data("--\(boundary)--\r\n".utf8)))
        return Reply(status: response.status, headers: response.headers, text: String(buffer: response.body))
    }
}

extension Reply {
    /// The value of a hidden form field.
    func hidden(_ name: String) -> String? {
        guard let range = text.range(of: "name=\"\(name)\" value=\"") else { return nil }
        let rest = text[range.upperBound...]
        return rest.firstIndex(of: "\"").map { String(rest[..<$0]) }
    }

    var location: String? { headers.first(name: .location) }
}
