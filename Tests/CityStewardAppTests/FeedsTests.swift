@testable import CityStewardApp
import CityStewardCore
import CityStewardStore
import CityStewardTestSupport
import Foundation
import Testing
import VaporTesting

@Suite("Desensitized feeds")
struct FeedsTests {
    func batch(_ from: Int, _ count: Int, at: Date = testStart.addingTimeInterval(-30)) -> String {
        let time = ISO8601DateFormatter().string(from: at)
        let items = (from..<(from + count)).map { i -> String in
            let device = "GATE-0\(i % 6 + 1)"
            if i % 5 == 4 {
                return #"{"clientId":"e-\#(i)","device":"CAM-0\#(i % 6 + 1)","type":"ai","at":"\#(time)","event":"890","confidence":0.5,"image":"face-\#(i).jpg"}"#
            }
            // Person references are ID numbers here (some gate vendors send them), plates are real-looking.
            let first17 = "44030919900101" + String(format: "%03d", i % 1000)
            let id = first17 + String(IdentityNumber.checkCharacter(for: first17)!)
            return #"{"clientId":"e-\#(i)","device":"\#(device)","type":"gate","at":"\#(time)","direction":"in","method":"face","person":"\#(id)","plate":"粤B\#(String(format: "%05d", i))"}"#
        }
        return "[" + items.joined(separator: ",") + "]"
    }

    func ingest(_ app: Application, _ key: String, _ body: String) async throws -> Reply {
        var headers: HTTPHeaders = ["X-API-Key": key]
        headers.contentType = .json
        return try await send(app, .POST, "/api/v1/device-events", headers: headers, raw: body)
    }

    func page(_ app: Application, _ token: String, _ consumer: String, after: Int64, limit: Int) async throws -> (events: [[String: Any]], next: Int64, text: String) {
        let reply = try await send(app, .GET, "/api/v1/feeds/\(consumer)/events?after=\(after)&limit=\(limit)", headers: bearer(token))
        #expect(reply.status == .ok, "\(reply.text.prefix(200))")
        let events = reply.json["events"] as? [[String: Any]] ?? []
        return (events, (reply.json["next"] as? NSNumber)?.int64Value ?? after, reply.text)
    }

    @Test func pagesNeverRepeatOrSkipAndNothingLeavesUnmasked() async throws {
        try await withTestApp { app in
            let key = try #require(try await DemoDevices.load(app))
            let platform = try await token(app, "data-platform")
            #expect(try await ingest(app, key, batch(0, 60)).json["stored"] as? Int == 60)
            // Ingestion goes on while the consumer reads, in small pages.
            var seen: [Int64] = []
            var cursor: Int64 = 0
            var texts: [String] = []
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for b in 1...4 {
                        let r = try await ingest(app, key, batch(b * 60, 60))
                        #expect(r.json["stored"] as? Int == 60, "\(r.status) \(r.text.prefix(300))")
                    }
                }
                for _ in 0..<40 {
                    let p = try await page(app, platform, "district-platform", after: cursor, limit: 7)
                    seen += p.events.compactMap { ($0["cursor"] as? NSNumber)?.int64Value }
                    texts.append(p.text)
                    cursor = p.next
                }
                try await group.waitForAll()
            }
            while true {
                let p = try await page(app, platform, "district-platform", after: cursor, limit: 1000)
                if p.events.isEmpty { break }
                seen += p.events.compactMap { ($0["cursor"] as? NSNumber)?.int64Value }
                texts.append(p.text)
                cursor = p.next
            }
            let stored = try await DeviceStore(db: app.db).events(limit: 10_000).map(\.seq).sorted()
            #expect(stored.count == 300)
            #expect(seen == stored, "every event exactly once, in cursor order")
            // The leak scan: no ID number, phone or plate in any answer; faces suppressed; times to the hour; grids.
            for text in texts { #expect(LeakScan.leaks(text).isEmpty, "\(LeakScan.leaks(text))") }
            let sample = try await page(app, platform, "district-platform", after: 0, limit: 5).events
            let gate = try #require(sample.first { $0["kind"] as? String == "gate" })
            #expect((gate["person"] as? String)?.hasPrefix("p_") == true && (gate["plate"] as? String)?.hasPrefix("p_") == true)
            #expect((gate["time"] as? String)?.contains(":00:00+08:00") == true && (gate["grid"] as? String)?.count == 15 && gate["lat"] == nil)
            let ai = try #require(try await page(app, platform, "district-platform", after: 0, limit: 10).events.first { $0["kind"] as? String == "ai" })
            #expect(ai["image"] == nil && ai["category"] as? String == "06010")
            // The same plate has different pseudonyms for the two consumers; video-platform gets AI events only.
            let video = try await page(app, platform, "video-platform", after: 0, limit: 1000)
            #expect(!video.events.isEmpty && video.events.allSatisfy { $0["kind"] as? String == "ai" })
            // Every read is in the audit log.
            #expect(try await AuditStore(db: app.db).list(AuditStore.Filter(action: "feed.read")).total >= 41)
        }
    }

    @Test func rulesAreVersionedAndGuarded() async throws {
        try await withTestApp { app in
            let key = try #require(try await DemoDevices.load(app))
            _ = try await ingest(app, key, batch(0, 10))
            let admin = try await token(app, "district-admin"), platform = try await token(app, "data-platform")
            // Keeping an ID number or a plate in clear is refused.
            let refused = try await send(app, .PUT, "/api/v1/feeds/district-platform/rules", headers: bearer(admin),
                                         json: ["rules": ["idNumber": "keep", "plate": "keep", "personRef": "pseudonym"]])
            #expect(refused.status == .unprocessableEntity && refused.text.contains("rules.idNumber") && refused.text.contains("rules.plate"))
            #expect(try await send(app, .PUT, "/api/v1/feeds/district-platform/rules", headers: bearer(platform), json: ["rules": ["plate": "mask"]]).status == .forbidden)
            let changed = try await send(app, .PUT, "/api/v1/feeds/district-platform/rules", headers: bearer(admin),
                                         json: ["rules": ["plate": "mask", "personRef": "suppress", "time": "generalize", "position": "generalize"]])
            #expect(changed.status == .ok && changed.json["version"] as? Int == 2 && changed.json["history"] as? [Int] == [1, 2])
            let p = try await page(app, platform, "district-platform", after: 0, limit: 10)
            #expect(p.text.contains("\"rulesVersion\":2"))
            let gate = try #require(p.events.first { $0["kind"] as? String == "gate" })
            #expect((gate["plate"] as? String)?.contains("***") == true && gate["person"] == nil)
            #expect(LeakScan.leaks(p.text).isEmpty)
            #expect(try await AuditStore(db: app.db).list(AuditStore.Filter(action: "rule.changed", subject: "consumer:district-platform")).total == 1)
            // Bad cursors and limits; callers without the feed; a consumer that is not theirs (404).
            #expect(try await send(app, .GET, "/api/v1/feeds/district-platform/events?after=-1", headers: bearer(platform)).status == .badRequest)
            #expect(try await send(app, .GET, "/api/v1/feeds/district-platform/events?limit=5000", headers: bearer(platform)).status == .badRequest)
            #expect(try await send(app, .GET, "/api/v1/feeds/district-platform/events", headers: bearer(try await token(app, "street-minzhi"))).status == .forbidden)
            #expect(try await send(app, .GET, "/api/v1/feeds/nobody/events", headers: bearer(platform)).status == .notFound)
        }
    }
}
