@testable import CityStewardApp
import CityStewardStore
import CityStewardTestSupport
import Foundation
import HTTPTypes
import OpenAPIAsyncHTTPClient
import OpenAPIRuntime
import Testing
import Vapor

/// The API as a client generated from `Resources/openapi.json` sees it (swift-openapi-generator, at build time): a
/// token, a report, every step to closure, the timeline, a list paged to its end, and a refusal read as its
/// problem document. It runs against the real server on a loopback port, on SQLite or on PostgreSQL
/// (`TEST_DATABASE_URL`), so a document the server does not keep fails here as a decoding error.
@Suite("A client generated from the OpenAPI document")
struct GeneratedClientJourneyTests {
    static let songziyuan = "440309002001V01"   // 松仔园村, 民治街道: the demo steward's village

    @Test func aReportIsCarriedToClosureAndTheListIsPagedToItsEnd() async throws {
        try await withRunningDemo { base in
            let anonymous = Client(serverURL: base, transport: AsyncHTTPClientTransport())
            let patrol = try await signIn(anonymous, "steward-patrol", base)
            let dispatcher = try await signIn(anonymous, "steward-dispatch", base)

            // A patroller reports (by place code, with an idempotency key).
            let reported = try await patrol.postCases(
                headers: .init(idempotencyKey: "journey-1"),
                body: .json(.init(category: "06010", placeCode: Self.songziyuan, description: "巷口堆放的垃圾无人清理")))
            let opened = try reported.created.body.json
            #expect(opened.state == .reported && opened.source == .patrol && opened.category.code == "06010")
            #expect(opened.routing.rule == .entrusted, "routed to the steward its contract entrusts")

            // Every step, each by who may take it; the answer is the case as it stands.
            func act(_ client: Client, _ action: Operations.PostCasesByIdActions.Input.Body.JsonPayload.ActionPayload,
                     note: String? = nil, photos: [Components.Schemas.PhotoUpload]? = nil) async throws -> Components.Schemas.Case {
                try await client.postCasesByIdActions(path: .init(id: opened.id), body: .json(.init(action: action, note: note, photos: photos)))
                    .ok.body.json
            }
            #expect(try await act(dispatcher, .file).state == .filed)
            #expect(try await act(dispatcher, .dispatch).state == .dispatched)
            #expect(try await act(patrol, .accept).state == .accepted)
            let photo = Components.Schemas.PhotoUpload(data: TestImages.pngWithText().base64EncodedString())
            #expect(try await act(patrol, .handle, note: "已清运", photos: [photo]).state == .handled)
            #expect(try await act(dispatcher, .passVerification).state == .verified)
            let closed = try await act(dispatcher, .close)
            #expect(closed.state == .closed && closed.closedAt != nil && closed.actions == [])

            // The timeline, read back.
            let read = try await dispatcher.getCasesById(path: .init(id: opened.id)).ok.body.json
            #expect(read.events?.map(\.action) == ["report", "file", "dispatch", "accept", "handle", "passVerification", "close"])
            #expect(read.photos?.contains { $0.role == "after" } == true)

            // A step the state no longer allows: 409, its problem document typed, with the case's state.
            let refused = try await dispatcher.postCasesByIdActions(path: .init(id: opened.id), body: .json(.init(action: .close)))
            let problem = try refused.conflict.body.applicationProblemJson
            #expect(problem.status == 409 && problem.state == "closed")

            // The queue paged to its end by cursor: every case once, as many as the total says.
            var seen: [String] = []
            var after: String?
            var total = 0
            repeat {
                let page = try await dispatcher.getCases(query: .init(limit: 3, after: after)).ok.body.json
                total = page.total
                seen += page.items.map(\.id)
                after = page.next
            } while after != nil
            #expect(seen.count == total && Set(seen).count == total && seen.contains(opened.id))
        }
    }

    /// A bearer token from `POST /api/v1/auth/token`, and a client that sends it.
    func signIn(_ anonymous: Client, _ username: String, _ base: URL) async throws -> Client {
        let answer = try await anonymous.postAuthToken(body: .json(.init(username: username, password: "demo1234"))).ok.body.json
        #expect(answer.tokenType == .bearer && answer.user.username == username)
        return Client(serverURL: base, transport: AsyncHTTPClientTransport(), middlewares: [BearerToken(token: answer.token)])
    }
}

/// Sends the caller's token with every request.
struct BearerToken: ClientMiddleware {
    var token: String

    func intercept(_ request: HTTPRequest, body: HTTPBody?, baseURL: URL, operationID: String,
                   next: @Sendable (HTTPRequest, HTTPBody?, URL) async throws -> (HTTPResponse, HTTPBody?)) async throws -> (HTTPResponse, HTTPBody?) {
        var request = request
        request.headerFields[.authorization] = "Bearer \(token)"
        return try await next(request, body, baseURL)
    }
}

/// The demo district on a fresh database (in-memory SQLite, or a schema of its own on PostgreSQL), served by the real
/// HTTP server on a free loopback port for `body`.
func withRunningDemo(_ body: (URL) async throws -> Void) async throws {
    let location = TestDatabase.freshLocation()
    let clock = TestClock()
    var config = AppConfig.testing(database: location)
    config.clock = clock.wallClock
    let app = try await Application.make(.testing)
    do {
        try await configure(app, config: config)
        try await TestDatabase.prepare(location, on: app.db)
        try await app.autoMigrate()
        try await DemoLoader.load(on: app.db) { try await app.password.async.hash($0) }
        try await DemoLoader.loadCaseReference(app.caseReference.shipped, on: app.db, now: app.clock.now)
        try await app.http.server.shared.start(address: .hostname("127.0.0.1", port: 0))
        let port = try #require(app.http.server.shared.localAddress?.port)
        try await body(try #require(URL(string: "http://127.0.0.1:\(port)")))
        await app.http.server.shared.shutdown()
        try await TestDatabase.cleanUp(location, on: app.db)
    } catch {
        await app.http.server.shared.shutdown()
        try? await TestDatabase.cleanUp(location, on: app.db)
        try? await app.asyncShutdown()
        throw error
    }
    try await app.asyncShutdown()
}
