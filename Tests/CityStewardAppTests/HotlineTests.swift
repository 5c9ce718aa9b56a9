@testable import CityStewardApp
import CityStewardCore
import CityStewardStore
import CityStewardTestSupport
import Crypto
import Foundation
import Testing
import VaporTesting

/// The 12345 hotline bridge against a stand-in for the hotline's endpoint (`WebhookReceiver`: a real HTTP server on
/// loopback, the outside party we do not run), with the key the hotline platform holds (`hotline:send`).
@Suite("12345 hotline bridge")
struct HotlineTests {
    static let secret = "hotline-shared-secret-0123456789abcdef"

    func ticket(_ number: String, _ extra: [String: Any] = [:]) -> [String: Any] {
        var body: [String: Any] = ["ticketNumber": number, "nature": "complaint", "categoryText": "暴露垃圾",
                                   "description": "来电人反映巷口垃圾堆放三天无人清理", "placeCode": songziyuan, "address": "松仔园村 3 巷口",
                                   "dueAt": "2026-11-20T18:00:00+08:00", "receivedAt": "2026-11-18T09:30:00+08:00", "callerPhone": "+86 138 0013 8000"]
        for (k, v) in extra { body[k] = v }
        return body
    }

    /// The hotline's check of a push: HMAC-SHA256 over "t.body" with the shared secret.
    func verify(_ r: WebhookReceiver.Received) -> Bool {
        guard let header = r.headers.first(name: FeedPush.signatureHeader), let parsed = FeedPush.parse(header: header) else { return false }
        let mac = HMAC<SHA256>.authenticationCode(for: FeedPush.signedPayload(timestamp: parsed.timestamp, body: r.body), using: SymmetricKey(data: Data(Self.secret.utf8)))
        return parsed.macs.contains(Hex.encode(Array(mac)))
    }

    @Test func aTicketSentTwiceIsOneCaseWhoseStepsReachTheHotlineSignedInOrderAndRetried() async throws {
        let hotline = try await WebhookReceiver.start(answering: [.serviceUnavailable])   // down at first, then 200
        try await withTestApp({ $0.hotlineURL = hotline.url; $0.hotlineSecret = Self.secret }) { app in
            let admin = try #require(try await DirectoryStore(db: app.db).user(username: "district-admin"))
            let (key, _) = try await DirectoryStore(db: app.db).issueToken(userID: admin.id, kind: .apiKey, name: "12345", scopes: [.hotlineSend], expiresAt: nil)
            let platform: HTTPHeaders = ["X-API-Key": key]
            let before = try await caseCount(app)
            let first = try await send(app, .POST, "/api/v1/hotline/tickets", headers: platform, json: ticket("SZ12345-2026-000001"))
            #expect(first.status == .created, "\(first.text)")
            let again = try await send(app, .POST, "/api/v1/hotline/tickets", headers: platform, json: ticket("SZ12345-2026-000001"))
            #expect(again.status == .ok)
            #expect(again.json["caseId"] as? String == first.json["caseId"] as? String)
            #expect(try await caseCount(app) == before + 1, "a ticket sent twice is one case")
            let id = try #require(first.json["caseId"] as? String)

            // The case: from the hotline, classed by its text, routed like any other; the caller's number sealed.
            let patrol = try await token(app, "steward-patrol"), dispatcher = try await token(app, "steward-dispatch")
            let opened = try await send(app, .GET, "/api/v1/cases/\(id)", headers: bearer(dispatcher))
            #expect(opened.json["source"] as? String == "hotline")
            #expect((opened.json["category"] as? [String: Any])?["code"] as? String == "06010")
            #expect(!opened.text.contains("13800138000") && !opened.text.contains("138 0013 8000"))
            let hotlineView = try #require(opened.json["hotline"] as? [String: Any])
            #expect(hotlineView["ticketNumber"] as? String == "SZ12345-2026-000001" && hotlineView["natureLabel"] as? String == "投诉")

            for (who, action) in [(dispatcher, "file"), (dispatcher, "dispatch"), (patrol, "accept")] {
                #expect(try await act(app, who, id, action).status == .ok, "\(action)")
            }
            #expect(try await act(app, patrol, id, "handle", evidence(for: "handle", note: "已清运，巷口冲洗干净")).status == .ok)
            #expect(try await act(app, dispatcher, id, "passVerification", ["note": "现场核实已清理"]).status == .ok)
            #expect(try await act(app, dispatcher, id, "close").status == .ok)

            // The hotline is down: the first step waits (and the others behind it); later it all goes, in order.
            let pusher = HotlinePusher(app: app, holder: "test")
            #expect(try await pusher.run() == .init(delivered: 0, failed: 1))
            #expect(try await pusher.run() == .init(), "not due again before its backoff")
            app.testClock.advance(by: 10)
            #expect(try await pusher.run() == .init(delivered: 4, failed: 0))
            let received = hotline.received
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .iso8601
            let messages = try received.map { try decoder.decode(HotlineMessage.self, from: Data($0.body)) }
            #expect(messages.map(\.step) == [.received, .received, .handled, .replied, .closed])
            #expect(received.allSatisfy(verify), "every push is signed with the shared secret")
            #expect(received[0].body == received[1].body && received[0].headers.first(name: "X-CitySteward-Delivery") == received[1].headers.first(name: "X-CitySteward-Delivery"),
                    "a retry is the same bytes under the same delivery id")
            #expect(messages.allSatisfy { $0.ticketNumber == "SZ12345-2026-000001" })
            #expect(messages[2].text == "已清运，巷口冲洗干净" && messages[3].text == "已清运，巷口冲洗干净\n现场核实已清理" && messages[4].caseState == "closed")
            #expect(try await pusher.run() == .init(), "nothing is sent twice")

            // The case shows each step and how it went; so does the hotline's own read.
            let closed = try await send(app, .GET, "/api/v1/cases/\(id)", headers: bearer(dispatcher))
            let pushes = try #require((closed.json["hotline"] as? [String: Any])?["pushes"] as? [[String: Any]])
            #expect(pushes.map { $0["step"] as? String } == ["received", "handled", "replied", "closed"])
            #expect(pushes.allSatisfy { $0["state"] as? String == "delivered" })
            #expect(pushes.first?["attempts"] as? Int == 2)
            let read = try await send(app, .GET, "/api/v1/hotline/tickets/SZ12345-2026-000001", headers: platform)
            #expect(read.status == .ok && read.json["state"] as? String == "closed")
            let page = try await send(app, .GET, "/cases/\(id)", headers: ["Cookie": try await webLogin(app, "steward-dispatch").cookie])
            #expect(page.text.contains("回传 12345：已答复来电人") && page.text.contains("已送达"))
        }
        try await hotline.stop()
    }

    @Test func aTicketIsRefusedWithItsReasonsAndOnlyTheHotlinesKeySendsOne() async throws {
        try await withTestApp { app in
            let admin = try #require(try await DirectoryStore(db: app.db).user(username: "district-admin"))
            let (key, _) = try await DirectoryStore(db: app.db).issueToken(userID: admin.id, kind: .apiKey, name: "12345", scopes: [.hotlineSend], expiresAt: nil)
            let platform: HTTPHeaders = ["X-API-Key": key]
            let before = try await caseCount(app)
            let unclassed = try await send(app, .POST, "/api/v1/hotline/tickets", headers: platform,
                                           json: ticket("SZ12345-2026-000002", ["categoryText": "邻里纠纷（无此类别）"]))
            #expect(unclassed.status == .unprocessableEntity && unclassed.json["field"] as? String == "category")
            let unplaced = try await send(app, .POST, "/api/v1/hotline/tickets", headers: platform, json: ticket("SZ12345-2026-000003", ["placeCode": NSNull()]))
            #expect(unplaced.status == .unprocessableEntity && unplaced.json["field"] as? String == "lat")
            let malformed = try await send(app, .POST, "/api/v1/hotline/tickets", headers: platform, json: ["ticketNumber": "SZ1"])
            #expect(malformed.status == .badRequest, "no description")
            #expect(try await caseCount(app) == before, "nothing written")
            // A patroller's token (cases:report, no hotline:send) cannot pose as the hotline.
            let patrol = try await token(app, "steward-patrol")
            #expect(try await send(app, .POST, "/api/v1/hotline/tickets", headers: bearer(patrol), json: ticket("SZ12345-2026-000004")).status == .forbidden)
            #expect(try await send(app, .GET, "/api/v1/hotline/tickets/NOPE-0001", headers: platform).status == .notFound)
        }
    }
}
