@testable import CityStewardApp
import CityStewardCore
import CityStewardStore
import CityStewardTestSupport
import Foundation
import SQLKit
import Testing
import VaporTesting

/// The queue reads each part of a caller's scope through its own index and merges them, and counts from tallies kept
/// by triggers: both are checked here against the plain answer — every case read back and judged one by one with
/// the single-case policy (`CaseAccess.canSee`) and the filter written out in Swift.
@Suite("Case queue: pages and counts") struct CaseQueueTests {
    static let users = ["district-admin", "street-minzhi", "street-guanlan", "dept-housing", "steward-dispatch", "steward-patrol", "auditor",
                        "resident-demo"]

    static func allCases(_ app: Application) async throws -> [CaseRow] {
        try await (app.db as! any SQLDatabase).select().column("*").from("cases").all(decoding: CaseRow.self, with: SQLRowDecoder())
    }

    static func matches(_ row: CaseRow, _ f: CaseFilter, ignoringStates: Bool = false) -> Bool {
        if !ignoringStates, !f.states.isEmpty, !f.states.map(\.rawValue).contains(row.state) { return false }
        if !ignoringStates, let now = f.overdueAt, !(row.stepDue.map { $0 < now } ?? false) { return false }
        if let area = f.areaID, !Area.decodePath(row.areaPath).contains(area) { return false }
        if let code = f.categoryCode, row.categoryCode != code { return false }
        if let source = f.source, row.source != source.rawValue { return false }
        if let party = f.responsibleID, row.responsibleId != party { return false }
        if f.supervisedOnly, !row.supervised { return false }
        return true
    }

    static func newestFirst(_ a: CaseRow, _ b: CaseRow) -> Bool {
        a.reportedAt != b.reportedAt ? a.reportedAt > b.reportedAt : a.number > b.number
    }

    /// Every page by cursor, every count, an offset page and the way back, for every demo user and filter.
    static func check(_ app: Application, filters: [CaseFilter]) async throws {
        let store = CaseStore(db: app.db), directory = DirectoryStore(db: app.db), now = app.clock.now
        let all = try await allCases(app)
        for username in users {
            let user = try #require(try await directory.user(username: username))
            let actor = try #require(try await directory.actor(userID: user.id, now: app.clock.now))
            let scope = CaseAccess.scope(for: actor)
            let visible = all.filter { CaseAccess.canSee(actor, $0.parties) }
            for filter in filters {
                let expected = visible.filter { matches($0, filter) }.sorted(by: newestFirst).map(\.id)
                var got: [UUID] = []
                var after: CaseCursor?
                var pages = 0
                repeat {
                    let page = try await store.page(scope: scope, filter: filter, limit: 37, after: after)
                    got += page.rows.map(\.id)
                    after = page.next
                    pages += 1
                } while after != nil && pages < 500
                // Compared as a whole, reported by count and first difference (a million-character message helps nobody).
                let firstDifference = zip(got, expected).enumerated().first { $0.element.0 != $0.element.1 }?.offset
                let same = got == expected
                #expect(same, "\(username) \(filter): \(got.count) listed, \(expected.count) expected, first difference at \(firstDifference ?? min(got.count, expected.count))")
                let middle = try await store.page(scope: scope, filter: filter, limit: 25, offset: 40)
                let middleRight = middle.rows.map(\.id) == Array(expected.dropFirst(40).prefix(25))
                #expect(middleRight, "\(username) \(filter) offset 40")
                if let previous = middle.previous {
                    let back = try await store.page(scope: scope, filter: filter, limit: 25, before: previous)
                    let backRight = back.rows.map(\.id) == Array(expected.dropFirst(15).prefix(25))
                    #expect(backRight, "\(username) \(filter) back from offset 40")
                }
                let counts = try await store.counts(scope: scope, filter: filter, now: now)
                let inFilter = visible.filter { matches($0, filter, ignoringStates: true) }
                var byState: [CaseState: Int] = [:]
                for row in inFilter { byState[row.caseState, default: 0] += 1 }
                #expect(counts.byState.filter { $0.value != 0 } == byState, "\(username) \(filter) counts")
                #expect(counts.overdue == inFilter.filter { $0.stepDue.map { $0 < now } ?? false }.count, "\(username) overdue")
                #expect(counts.total(states: filter.states, overdueOnly: filter.overdueAt != nil) == expected.count, "\(username) total")
            }
        }
    }

    @Test func everyCallerSeesExactlyItsCasesInOrderWithTheirCounts() async throws {
        try await withTestApp { app in
            // Two villages of two streets, reported by the steward's patroller: in its own village and outside it.
            _ = try await SyntheticCases(app: app).fill(count: 300, villageCode: "440309002001V01", days: 40, seed: 7) { _ in }
            _ = try await SyntheticCases(app: app).fill(count: 150, villageCode: "440309004005V01", days: 40, seed: 8) { _ in }
            let reference = try await app.caseReference.get(app.db)
            let village = try #require(reference.areasByCode["440309002001V01"])
            let street = try #require(reference.areasByCode["440309004"])
            let now = app.clock.now
            try await Self.check(app, filters: [
                CaseFilter(), CaseFilter(states: CaseState.open), CaseFilter(states: [.closed]), CaseFilter(overdueAt: now),
                CaseFilter(states: [.dispatched], overdueAt: now), CaseFilter(areaID: village.id), CaseFilter(areaID: street.id),
                CaseFilter(categoryCode: "06001"), CaseFilter(source: .patrol), CaseFilter(supervisedOnly: true),
            ])
        }
    }

    /// The tallies follow every write: the workflow's updates, and a transaction that rolls back leaves them as they were.
    @Test func countsFollowTheWorkflowAndRollBacks() async throws {
        try await withTestApp { app in
            _ = try await SyntheticCases(app: app).fill(count: 120, villageCode: "440309002001V01", days: 3, seed: 3) { _ in }
            let store = CaseStore(db: app.db)
            let reference = try await app.caseReference.get(app.db)
            let everyone = CaseActor(id: nil, name: "test", capacities: Set(CaseCapacity.allCases))
            var moved = 0
            for row in try await Self.allCases(app) where row.caseState == .reported || row.caseState == .dispatched {
                let action: CaseAction = row.caseState == .reported ? .reject : .accept
                let change = try CaseWorkflow.apply(CaseActionRequest(action: action, note: "test"), to: row.case, by: everyone, limit: nil,
                                                    dispatchCentre: nil, now: app.clock.now, calendar: reference.calendar)
                let seq = try await store.nextEventSeq(of: row.id)
                if moved % 3 == 0 {
                    struct Refused: Error {}
                    await #expect(throws: Refused.self) {
                        try await store.save(change, seq: seq, expectedRevision: row.revision) { _ in throw Refused() }
                    }
                } else {
                    #expect(try await store.save(change, seq: seq, expectedRevision: row.revision)?.revision == row.revision + 1)
                }
                moved += 1
            }
            #expect(moved > 3)
            try await Self.check(app, filters: [CaseFilter(), CaseFilter(states: CaseState.open), CaseFilter(categoryCode: "06010")])
        }
    }

    /// The queue's counts are kept for a few seconds per scope and filter (`CaseCountsCache`): a case written through
    /// this instance shows at once; a change the instance did not make (another instance's, here a write straight to
    /// the store) and a case turning overdue with the clock show once the kept counts have aged.
    @Test func keptCountsFollowThisInstancesWritesAndAgeOut() async throws {
        try await withTestApp { app in
            let admin = try await token(app, "district-admin"), patrol = try await token(app, "steward-patrol")
            let dispatcher = try await token(app, "steward-dispatch")
            let p = try await gridCentre(app, songziyuan, 4)
            struct Counts: Equatable { var reported = 0, filed = 0, rejected = 0, overdue = 0, total = 0 }
            func counts(_ query: String = "") async throws -> Counts {
                let r = try await send(app, .GET, "/api/v1/cases\(query)", headers: bearer(admin))
                #expect(r.status == .ok, "\(r.text)")
                let c = r.json["counts"] as? [String: Int] ?? [:]
                return Counts(reported: c["reported"] ?? 0, filed: c["filed"] ?? 0, rejected: c["rejected"] ?? 0,
                              overdue: r.json["overdue"] as? Int ?? -1, total: r.json["total"] as? Int ?? -1)
            }
            let before = try await counts()
            // Reports through the API: counted on the next page at once.
            let first = try #require(try await report(app, patrol, category: "06010", at: p).json["id"] as? String)
            let second = try #require(try await report(app, patrol, category: "06010", at: p.offset(eastMetres: 30, northMetres: 0)).json["id"] as? String)
            let afterReports = try await counts()
            #expect(afterReports.total == before.total + 2 && afterReports.reported == before.reported + 2, "\(before) → \(afterReports)")
            // An action through the API: moved between the states at once.
            #expect(try await act(app, dispatcher, first, "file").status == .ok)
            let afterAct = try await counts()
            #expect(afterAct.reported == afterReports.reported - 1 && afterAct.filed == afterReports.filed + 1, "\(afterReports) → \(afterAct)")
            // Written by someone else (another instance; here straight to the store): the kept counts stand until they age…
            let store = CaseStore(db: app.db), reference = try await app.caseReference.get(app.db)
            let row = try await store.find(try #require(UUID(uuidString: second)), scope: nil)
            let everyone = CaseActor(id: nil, name: "another instance", capacities: Set(CaseCapacity.allCases))
            let change = try CaseWorkflow.apply(CaseActionRequest(action: .reject, note: "重复"), to: row.case, by: everyone, limit: nil,
                                                dispatchCentre: nil, now: app.clock.now, calendar: reference.calendar)
            #expect(try await store.save(change, seq: try await store.nextEventSeq(of: row.id), expectedRevision: row.revision) != nil)
            #expect(try await counts() == afterAct, "kept for \(CaseCountsCache.ttl) s")
            // … then are counted anew: what the other instance wrote, and the cases that turned overdue meanwhile.
            app.testClock.advance(by: CaseCountsCache.ttl + 1)
            let fresh = try await counts()
            #expect(fresh.reported == afterAct.reported - 1 && fresh.rejected == afterAct.rejected + 1, "\(afterAct) → \(fresh)")
            let direct = try await store.counts(scope: .everything, now: app.clock.now)
            #expect(fresh.overdue == direct.overdue && fresh.total == direct.byState.values.reduce(0, +))
            // A filter counts on its own, and a list of some states totals just them.
            let open = try await counts("?state=open")
            #expect(open.total == CaseState.open.reduce(0) { $0 + (direct.byState[$1] ?? 0) })
        }
    }

    @Test func offsetsBeyondTheBoundAndBrokenCursorsAreRefused() async throws {
        try await withTestApp { app in
            _ = try await SyntheticCases(app: app).fill(count: 5, villageCode: "440309002001V01", days: 3, seed: 1) { _ in }
            let token = try await token(app, "district-admin")
            let deep = try await send(app, .GET, "/api/v1/cases?offset=10001", headers: bearer(token))
            #expect(deep.status == .badRequest && deep.text.contains("after"))
            let broken = try await send(app, .GET, "/api/v1/cases?after=yesterday", headers: bearer(token))
            #expect(broken.status == .badRequest && broken.text.contains("after"))
            let first = try await send(app, .GET, "/api/v1/cases?limit=2", headers: bearer(token))
            let next = try #require(first.json["next"] as? String, "\(first.text.prefix(300))")
            let second = try await send(app, .GET, "/api/v1/cases?limit=2&after=\(next.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)",
                                        headers: bearer(token))
            #expect(second.status == .ok)
            let firstNumbers = (first.json["items"] as? [[String: Any]] ?? []).compactMap { $0["number"] as? String }
            let secondNumbers = (second.json["items"] as? [[String: Any]] ?? []).compactMap { $0["number"] as? String }
            #expect(firstNumbers.count == 2 && !secondNumbers.isEmpty && Set(firstNumbers).isDisjoint(with: secondNumbers))
            // Open311 is public: a page deeper than the bound is refused, not read.
            let open311 = try await send(app, .GET, "/open311/v2/requests.json?page=12&page_size=1000")
            #expect(open311.status == .badRequest && open311.text.contains("start_date"))
        }
    }
}

/// The console's queue pages by cursor: older, then newer again, each page 50 different cases.
@Suite("Console queue pages") struct ConsoleQueuePagesTests {
    static func numbers(_ html: String) -> [String] {
        html.components(separatedBy: ">LH-").dropFirst().compactMap { $0.split(separator: "<").first.map { "LH-" + $0 } }
    }

    static func link(_ html: String, _ name: String) -> String? {
        guard let r = html.range(of: "href=\"/cases?") else { return nil }
        var rest = html[r.lowerBound...]
        while let start = rest.range(of: "href=\"/cases?") {
            let tail = rest[start.upperBound...]
            guard let end = tail.firstIndex(of: "\"") else { return nil }
            let query = String(tail[..<end])
            if query.contains("\(name)=") { return "/cases?" + query.replacingOccurrences(of: "&amp;", with: "&") }
            rest = tail[end...]
        }
        return nil
    }

    @Test func olderAndNewerByCursor() async throws {
        try await withTestApp { app in
            _ = try await SyntheticCases(app: app).fill(count: 120, villageCode: "440309002001V01", days: 20, seed: 5) { _ in }
            let (cookie, _) = try await webLogin(app, "steward-dispatch")
            let first = try await send(app, .GET, "/cases", headers: ["Cookie": cookie])
            #expect(first.status == .ok)
            #expect(Self.link(first.text, "before") == nil)
            let older = try #require(Self.link(first.text, "after"))
            let second = try await send(app, .GET, older, headers: ["Cookie": cookie])
            #expect(second.status == .ok)
            let firstNumbers = Self.numbers(first.text), secondNumbers = Self.numbers(second.text)
            #expect(!firstNumbers.isEmpty && !secondNumbers.isEmpty && Set(firstNumbers).isDisjoint(with: secondNumbers))
            let newer = try #require(Self.link(second.text, "before"))
            let back = try await send(app, .GET, newer, headers: ["Cookie": cookie])
            #expect(Self.numbers(back.text) == firstNumbers)
            #expect(try await send(app, .GET, "/cases?after=nonsense", headers: ["Cookie": cookie]).status == .badRequest)
        }
    }
}

@Suite("Public rate limit") struct PublicRateLimitTests {
    @Test func aBucketRefillsAtItsRateUpToItsBurst() {
        let rule = TokenBucket.Rule(perMinute: 60, burst: 3)
        var bucket: TokenBucket?
        var allowed: [Bool] = []
        for _ in 0..<4 {
            let d = TokenBucket.take(bucket, rule: rule, now: testStart)
            bucket = d.bucket
            allowed.append(d.allowed)
        }
        #expect(allowed == [true, true, true, false])
        #expect(TokenBucket.take(bucket, rule: rule, now: testStart).retryAfter == 1)
        #expect(TokenBucket.take(bucket, rule: rule, now: testStart.addingTimeInterval(1)).allowed)
        #expect(bucket?.isFull(rule: rule, at: testStart.addingTimeInterval(3)) == true)
        #expect(bucket?.isFull(rule: rule, at: testStart.addingTimeInterval(2)) == false)
    }

    /// Anonymous public reads past the limit answer 429 with Retry-After (Open311 too, in its own error format);
    /// signed-in API reads are not counted, and another client has its own bucket.
    @Test func publicReadsPastTheLimitAre429() async throws {
        try await withTestApp({ $0.publicRatePerMinute = 6 }) { app in
            var statuses: [UInt] = []
            for _ in 0..<4 { statuses.append(try await send(app, .GET, "/open311/v2/requests.json").status.code) }
            #expect(statuses == [200, 200, 200, 429])
            let limited = try await send(app, .GET, "/open311/v2/requests.json")
            #expect(limited.headers.first(name: "Retry-After") != nil && limited.text.contains("请求过于频繁"), "\(limited.text)")
            #expect(try await send(app, .GET, "/c/LH-2026-000001").status == .tooManyRequests)
            let other = try await send(app, .GET, "/open311/v2/requests.json", headers: ["X-Forwarded-For": "203.0.113.9"])
            #expect(other.status == .ok)
            let token = try await token(app, "district-admin")
            #expect(try await send(app, .GET, "/api/v1/cases", headers: bearer(token)).status == .ok)
            app.testClock.advance(by: 10)
            #expect(try await send(app, .GET, "/open311/v2/requests.json").status == .ok)
        }
    }
}

@Suite("Case search by number or words") struct CaseSearchTests {
    @Test func aCaseIsFoundByItsNumberOrTheWordsOfItsDescription() async throws {
        try await withTestApp { app in
            let patrol = try await token(app, "steward-patrol"), dispatcher = try await token(app, "steward-dispatch")
            let p = try await gridCentre(app, songziyuan, 1)
            let first = try await report(app, patrol, category: "06010", at: p, extra: ["description": "巷口垃圾桶满溢_100%"])
            let second = try await report(app, patrol, category: "06010", at: p, extra: ["description": "巷口路灯不亮"])
            let number = try #require(first.json["number"] as? String)
            _ = second
            func search(_ q: String) async throws -> (numbers: [String], total: Int?) {
                let reply = try await send(app, .GET, "/api/v1/cases?q=\(q.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)", headers: bearer(dispatcher))
                #expect(reply.status == .ok, "\(reply.text)")
                return (((reply.json["items"] as? [[String: Any]]) ?? []).compactMap { $0["number"] as? String }, reply.json["total"] as? Int)
            }
            #expect(try await search(number.lowercased()).numbers == [number], "a number, in any case")
            let both = try await search("巷口")
            #expect(both.numbers.count == 2 && both.total == 2, "the counts follow the search")
            #expect(try await search("垃圾桶").numbers == [number])
            // The pattern's wildcards are looked for as typed.
            #expect(try await search("_100%").numbers == [number])
            #expect(try await send(app, .GET, "/api/v1/cases?q=a", headers: bearer(dispatcher)).status == .badRequest)
            // The console keeps what was searched, in the field and the pages' links.
            let (cookie, _) = try await webLogin(app, "steward-dispatch")
            let page = try await send(app, .GET, "/cases?q=%E5%B7%B7%E5%8F%A3", headers: ["Cookie": cookie])
            #expect(page.status == .ok && page.text.contains("value=\"巷口\"") && page.text.contains(number))
        }
    }
}

@Suite("Bulk dispatch") struct BulkDispatchTests {
    @Test func selectedCasesAreDispatchedEachOnItsOwnAndRefusalsSayWhy() async throws {
        try await withTestApp { app in
            let patrol = try await token(app, "steward-patrol"), admin = try await token(app, "district-admin")
            var ids: [String] = []
            for n in 0..<3 {
                let r = try await report(app, patrol, category: "06010", at: try await gridCentre(app, songziyuan, n), extra: ["description": "批量派遣测试 \(n)"])
                ids.append(try #require(r.json["id"] as? String))
            }
            // Two filed; the third is left as reported, which cannot be dispatched yet.
            for id in ids.prefix(2) {
                let filed = try await act(app, admin, id, "file")
                #expect(filed.status == .ok, "\(filed.text)")
            }
            let (cookie, _) = try await webLogin(app, "district-admin")
            let queue = try await send(app, .GET, "/cases?q=%E6%89%B9%E9%87%8F%E6%B4%BE%E9%81%A3", headers: ["Cookie": cookie])
            #expect(queue.text.contains("name=\"ids[]\" value=\"\(ids[0].lowercased())\"") && !queue.text.contains("name=\"ids[]\" value=\"\(ids[2].lowercased())\""),
                    "only what may be dispatched has a box")
            var headers: HTTPHeaders = ["Cookie": cookie]
            headers.contentType = .urlEncodedForm
            let body = (["_csrf=\(try #require(queue.csrfToken))", "back=%2Fcases%3Fq%3Dx"] + ids.map { "ids%5B%5D=\($0)" }).joined(separator: "&")
            let done = try await send(app, .POST, "/cases/dispatch", headers: headers, raw: body)
            #expect(done.location == "/cases?q=x")
            let page = try await send(app, .GET, "/cases", headers: ["Cookie": cookie])
            #expect(page.text.contains("已派遣 2 件") && page.text.contains("未派遣 1 件"), "\(page.text.prefix(0))")
            #expect(!(try await send(app, .GET, "/cases", headers: ["Cookie": cookie]).text.contains("已派遣 2 件")), "said once")
            for id in ids.prefix(2) {
                #expect(try await send(app, .GET, "/api/v1/cases/\(id)", headers: bearer(admin)).json["state"] as? String == "dispatched")
            }
            // The API: each refusal with its reason; an empty list is a 400.
            let again = try await send(app, .POST, "/api/v1/cases/dispatch?lang=en", headers: bearer(admin), json: ["ids": ids])
            #expect(again.status == .ok && (again.json["dispatched"] as? [String])?.isEmpty == true && (again.json["refused"] as? [[String: Any]])?.count == 3)
            #expect(try await send(app, .POST, "/api/v1/cases/dispatch", headers: bearer(admin), json: ["ids": [String]()]).status == .badRequest)
            // Another street's case is not found for its officer, as if it did not exist.
            let other = try await send(app, .POST, "/api/v1/cases/dispatch?lang=en", headers: bearer(try await token(app, "street-guanlan")), json: ["ids": [ids[2]]])
            #expect((other.json["refused"] as? [[String: Any]])?.first?["reason"] as? String == "no such case" && (other.json["refused"] as? [[String: Any]])?.first?["number"] == nil)
            #expect(try await send(app, .POST, "/api/v1/cases/dispatch", headers: bearer(try await token(app, "resident-demo")), json: ["ids": ids]).status == .forbidden)
        }
    }
}
