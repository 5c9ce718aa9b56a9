@testable import CityStewardApp
import CityStewardCore
import CityStewardStore
import CityStewardTestSupport
import Foundation
import SQLKit
import Testing
import VaporTesting

/// The street office signs a contract for construction-site oversight (M-CON-01) in 松仔园村; its cases then go to
/// the steward; the month is billed from the records and the figures match a hand calculation; the ledger sums it;
/// the exports open in openpyxl with the same numbers.
@Suite("Contracts and money")
struct ContractsTests {
    static let village = "440309002001V01"
    var thisMonth: LedgerMonth { LedgerMonth(LocalDate.beijing(testStart)) }

    func body(matter: String = "M-CON-01", quantity: Any = 2, price: Any? = nil, start: String, end: String = "2028-12-31",
              village: String = ContractsTests.village) -> [String: Any] {
        var line: [String: Any] = ["matterCode": matter, "quantity": quantity, "unit": "处"]
        if let price { line["unitPriceFen"] = price; line["priceReason"] = "工地数量多" }
        return [
            "title": "松仔园村施工管理巡查委托合同", "steward": "LH-STEWARD-01", "procurement": "directEntrustment", "areas": [village],
            "lines": [line], "start": start, "end": end, "rightsAndDuties": "按月结算。", "breachLiability": "超期按件扣款。",
            "deductions": [["basis": "overdueCase", "amountFen": 20_000, "capFen": 50_000], ["basis": "failedVerification", "matterCode": matter, "amountFen": 10_000]],
            "guaranteeText": "兜底完成。", "guaranteeFen": 1_000_000,
            "qualificationChecks": [["item": "施工巡查人员资格", "passed": true, "checker": "民治街道办", "date": "2026-09-01"]],
            "notice": ["date": "2026-09-05", "channel": "公告栏", "text": "施工巡查由城市管家承担。"],
        ]
    }

    func contractCount(_ app: Application) async throws -> Int {
        try await (app.db as! any SQLDatabase).select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from("contracts")
            .first(decodingColumn: "n", as: Int.self) ?? 0
    }

    @Test func aSignedContractRoutesCasesAndTheMonthBillsAsWorkedByHand() async throws {
        try await withTestApp { app in
            let minzhi = try await token(app, "street-minzhi"), dispatcher = try await token(app, "steward-dispatch")
            let point = try await gridCentre(app, songziyuan, 2)
            // The month starts on Monday the 2nd: what is reported then is long past its deadline by the 18th, when
            // the bill is run.
            app.testClock.set(LocalDate(year: 2026, month: 11, day: 2).beijingMidnight.addingTimeInterval(10 * 3600))
            // Before: a construction-site case goes to the housing bureau (the matter's owner).
            let before = try await report(app, dispatcher, category: "08002", at: point)
            #expect((before.json["routing"] as? [String: Any])?["rule"] as? String == "ownerDepartment", "\(before.text.prefix(300))")

            let start = thisMonth.description + "-01"
            let created = try await send(app, .POST, "/api/v1/contracts", headers: bearer(minzhi), json: body(start: start))
            #expect(created.status == .created, "\(created.text)")
            let contract = try #require(created.json["contract"] as? [String: Any])
            let id = try #require(contract["id"] as? String), number = try #require(contract["number"] as? String)
            // The demo's own contract of 2026 is 001.
            #expect(number == "HT-440309002-2026-002" && contract["state"] as? String == "draft")
            #expect((contract["lines"] as? [[String: Any]])?.first?["unitPriceFen"] as? Int == 300_000, "the catalog's benchmark price")
            #expect(created.json["actions"] as? [String] == ["submit", "withdraw"])
            // Signing needs review first; activation needs signing.
            #expect(try await send(app, .POST, "/api/v1/contracts/\(id)/actions/activate", headers: bearer(minzhi)).status == .conflict)
            // Two signatures besides the drafter's: the steward countersigns, another officer of the street signs.
            let countersigner = try await token(app, "steward-dispatch"), lead = try await token(app, "street-minzhi-lead")
            #expect(try await send(app, .POST, "/api/v1/contracts/\(id)/actions/submit", headers: bearer(minzhi), json: [:]).status == .ok)
            let early = try await send(app, .POST, "/api/v1/contracts/\(id)/actions/sign?lang=en", headers: bearer(lead), json: [:])
            #expect(early.status == .conflict && early.text.contains("countersigns before"), "\(early.text)")
            #expect(try await send(app, .POST, "/api/v1/contracts/\(id)/actions/countersign", headers: bearer(minzhi), json: [:]).status == .forbidden)
            let countersigned = try await send(app, .POST, "/api/v1/contracts/\(id)/actions/countersign", headers: bearer(countersigner), json: [:])
            #expect(countersigned.status == .ok && countersigned.json["actions"] as? [String] == [], "\(countersigned.text)")
            #expect(try await send(app, .POST, "/api/v1/contracts/\(id)/actions/countersign", headers: bearer(countersigner), json: [:]).status == .conflict)
            let selfSigned = try await send(app, .POST, "/api/v1/contracts/\(id)/actions/sign?lang=en", headers: bearer(minzhi), json: [:])
            #expect(selfSigned.status == .conflict && selfSigned.text.contains("another approver"), "\(selfSigned.text)")
            #expect(try await send(app, .POST, "/api/v1/contracts/\(id)/actions/sign", headers: bearer(lead), json: [:]).status == .ok)
            #expect(try await send(app, .POST, "/api/v1/contracts/\(id)/actions/activate", headers: bearer(minzhi), json: [:]).status == .ok)
            // Facts for the month: three cases reported on the 2nd and not handled (their two working days ran out
            // long ago); one handled in time that failed verification.
            var ids: [String] = []
            for n in 0..<3 {
                let r = try await report(app, dispatcher, category: "08001", at: try await gridCentre(app, songziyuan, n))
                ids.append(try #require(r.json["id"] as? String))
            }
            // The first case (reported before the contract, also overdue) is the department's: not this contract's fact.
            app.testClock.set(testStart)
            // After: the same class of case goes to the steward under this contract.
            let after = try await report(app, dispatcher, category: "08002", at: point)
            let routing = try #require(after.json["routing"] as? [String: Any])
            #expect(routing["rule"] as? String == "entrusted" && routing["contractReference"] as? String == number, "\(after.text.prefix(400))")
            ids.append(try #require(try await report(app, dispatcher, category: "08001", at: try await gridCentre(app, songziyuan, 3)).json["id"] as? String))
            let patrol = try await token(app, "steward-patrol")
            for (who, action) in [(dispatcher, "file"), (dispatcher, "dispatch"), (patrol, "accept"), (patrol, "handle")] {
                #expect(try await act(app, who, ids[3], action, evidence(for: action)).status == .ok, "\(action)")
            }
            #expect(try await act(app, dispatcher, ids[3], "failVerification", ["note": "现场仍有废料"]).status == .ok)
            // The new case routed after activation was not handled either, but its deadline is days away.

            let run = try await send(app, .POST, "/api/v1/contracts/\(id)/billing", headers: bearer(minzhi), json: ["period": thisMonth.description])
            #expect(run.status == .created, "\(run.text)")
            // By hand: 2 sites × ¥3,000 × 1 month = ¥6,000; 3 overdue × ¥200 = ¥600, capped at ¥500; 1 failed check
            // × ¥100; net ¥6,000 − ¥600 = ¥5,400.
            #expect(run.json["grossFen"] as? Int == 600_000 && run.json["deductionsFen"] as? Int == 60_000 && run.json["netFen"] as? Int == 540_000, "\(run.text)")
            let lines = try #require(run.json["lines"] as? [[String: Any]])
            #expect(lines.map { $0["amountFen"] as? Int } == [600_000, -50_000, -10_000])
            #expect((lines[1]["explanation"] as? String)?.contains("3 件超期案件 × 200.00 元 = 600.00 元（本期上限 500.00 元），扣 500.00 元") == true)
            #expect((run.json["overdueCases"] as? [String: Int]) == ["M-CON-01": 3] && (run.json["failedVerifications"] as? [String: Int]) == ["M-CON-01": 1])

            // The ledger: the net under government service purchase, for the housing bureau (fee follows the matter),
            // plus parking income and a cost entered by hand.
            let steward = try await token(app, "steward-dispatch")
            #expect(try await send(app, .POST, "/api/v1/ledger/entries", headers: bearer(steward), json: [
                "village": Self.village, "month": thisMonth.description, "direction": "income", "category": "parking", "amountFen": 80_000, "memo": "停车场"]).status == .created)
            #expect(try await send(app, .POST, "/api/v1/ledger/entries", headers: bearer(steward), json: [
                "village": Self.village, "month": thisMonth.description, "direction": "cost", "category": "staff", "amountFen": 200_000]).status == .created)
            let ledger = try await send(app, .GET, "/api/v1/ledger?village=\(Self.village)&months=1", headers: bearer(minzhi))
            #expect(ledger.status == .ok, "\(ledger.text)")
            #expect(ledger.json["incomeFen"] as? Int == 620_000 && ledger.json["costFen"] as? Int == 200_000)
            #expect(ledger.json["incomeBySource"] as? [String: Int] == ["serviceFee": 540_000, "parking": 80_000])
            #expect(ledger.json["serviceFeeByDepartment"] as? [String: Int] == ["LH-ZJJ": 540_000])
            // Billing again replaces the run and its ledger entries, never doubles them.
            #expect(try await send(app, .POST, "/api/v1/contracts/\(id)/billing", headers: bearer(minzhi), json: ["period": thisMonth.description]).status == .created)
            #expect(try await send(app, .GET, "/api/v1/ledger?village=\(Self.village)&months=1", headers: bearer(minzhi)).json["incomeFen"] as? Int == 620_000)

            // Exports: the bill and the ledger in CSV and XLSX, the XLSX read back by openpyxl.
            let runID = try #require(try await send(app, .GET, "/api/v1/contracts/\(id)/billing", headers: bearer(minzhi)).text
                .components(separatedBy: "\"id\":\"").dropFirst().first?.prefix(36)).description
            let csv = try await send(app, .GET, "/api/v1/billing/\(runID)/export.csv", headers: bearer(minzhi))
            #expect(csv.status == .ok && csv.text.contains("6000.00") && csv.text.contains("-500.00") && csv.text.contains("5400.00"))
            if SpreadsheetReader.available {
                let xlsx = try await app.testing().sendRequest(.GET, "/api/v1/billing/\(runID)/export.xlsx", headers: bearer(minzhi))
                #expect(xlsx.status == .ok && xlsx.headers.contentType?.description.contains("spreadsheetml") == true)
                let book = try SpreadsheetReader.read(Data(buffer: xlsx.body))
                let rows = try #require(book.values.first)
                let amounts = rows.dropFirst().compactMap { $0.count > 7 ? $0[7] as? Double : nil }
                #expect(amounts == [6000, -500, -100, 6000, -600, 5400], "\(rows)")
                let ledgerBook = try SpreadsheetReader.read(Data(buffer: try await app.testing().sendRequest(
                    .GET, "/api/v1/ledger/export.xlsx?village=\(Self.village)&months=1&lang=en", headers: bearer(minzhi)).body))
                let sheet = try #require(ledgerBook["ledger"])
                #expect(sheet[0].compactMap { $0 as? String }.contains("Government service purchase"))
                let month = try #require(sheet.first { $0.first as? String == thisMonth.description })
                #expect(month[2] as? Double == 5400 && month[3] as? Double == 800 && month[7] as? Double == 6200 && month[8] as? Double == 2000)
                #expect(ledgerBook["by department"]?.last?.compactMap { $0 } .map { "\($0)" } == ["LH-ZJJ", "5400.0"])
            }
            let audit = try await AuditStore(db: app.db).list(AuditStore.Filter(action: "export")).rows
            #expect(audit.count >= 1 && audit.contains { $0.subject.hasPrefix("billing:") })
        }
    }

    @Test func overlapsBadMoneyAndClosedMonthsAreRefusedAndNothingIsHalfSaved() async throws {
        try await withTestApp { app in
            let minzhi = try await token(app, "street-minzhi")
            let before = try await contractCount(app)
            // Money: not whole, negative; dates; an unknown matter; a village of another street — all at once, nothing saved.
            var bad = body(start: "2026-09-01")
            bad["lines"] = [["matterCode": "M-CON-01", "quantity": 2, "unitPriceFen": 12.5], ["matterCode": "M-NOPE", "quantity": 1]]
            bad["guaranteeFen"] = -100
            let refused = try await send(app, .POST, "/api/v1/contracts", headers: bearer(minzhi), json: bad)
            #expect(refused.status == .unprocessableEntity && refused.text.contains("lines[0].unitPriceFen") && refused.text.contains("guaranteeFen"), "\(refused.text)")
            #expect(refused.text.contains("金额以分为单位") && refused.text.contains("金额不能为负"))
            let elsewhere = try await send(app, .POST, "/api/v1/contracts", headers: bearer(minzhi), json: body(start: "2026-09-01", village: "440309006001V01"))
            #expect(elsewhere.status == .unprocessableEntity && elsewhere.text.contains("areas[0]"))
            var noReason = body(start: "2026-09-01")
            noReason["lines"] = [["matterCode": "M-CON-01", "quantity": 2, "unitPriceFen": 350_000]]
            #expect(try await send(app, .POST, "/api/v1/contracts", headers: bearer(minzhi), json: noReason).text.contains("priceReason"))
            #expect(try await contractCount(app) == before)

            // Overlap: sanitation in 松仔园村 is under the demo contract until 2028; a second one is refused at review, both named.
            let clash = try await send(app, .POST, "/api/v1/contracts", headers: bearer(minzhi), json: body(matter: "M-SAN-01", quantity: 5000, start: "2027-01-01"))
            #expect(clash.status == .created)
            let clashID = try #require((clash.json["contract"] as? [String: Any])?["id"] as? String)
            let clashNumber = try #require((clash.json["contract"] as? [String: Any])?["number"] as? String)
            let submit = try await send(app, .POST, "/api/v1/contracts/\(clashID)/actions/submit", headers: bearer(minzhi))
            #expect(submit.status == .conflict && submit.text.contains(clashNumber) && submit.text.contains(DemoDistrict.contractNumber(streetCode: "440309002")), "\(submit.text)")
            let state = try await ContractStore(db: app.db).find(UUID(uuidString: clashID)!, scope: .all).state
            #expect(state == .draft)

            // Scope: another street's officer gets 404 for the contract and does not see it listed; the steward sees its own.
            let guanlan = try await token(app, "street-guanlan")
            #expect(try await send(app, .GET, "/api/v1/contracts/\(clashID)", headers: bearer(guanlan)).status == .notFound)
            let listed = try await send(app, .GET, "/api/v1/contracts", headers: bearer(guanlan)).text
            #expect(!listed.contains("HT-440309002") && listed.contains("HT-440309006"))
            #expect(try await send(app, .POST, "/api/v1/contracts/\(clashID)/actions/submit", headers: bearer(guanlan)).status == .notFound)
            #expect(try await send(app, .GET, "/api/v1/contracts", headers: bearer(try await token(app, "steward-dispatch"))).text.contains("HT-440309002-2026-001"))
            #expect(try await send(app, .GET, "/api/v1/contracts", headers: bearer(try await token(app, "data-platform"))).status == .forbidden)

            // A closed month: billing for it and ledger entries in it are refused.
            let demo = try #require(try await ContractStore(db: app.db).list(scope: .all).first { $0.number == DemoDistrict.contractNumber(streetCode: "440309002") })
            let last = thisMonth.previous
            #expect(try await send(app, .POST, "/api/v1/finance/periods", headers: bearer(minzhi), json: ["month": last.description]).status == .noContent)
            #expect(try await send(app, .POST, "/api/v1/finance/periods", headers: bearer(minzhi), json: ["month": last.description]).status == .conflict)
            #expect(try await send(app, .POST, "/api/v1/finance/periods", headers: bearer(minzhi), json: ["month": thisMonth.description]).status == .unprocessableEntity)
            let closed = try await send(app, .POST, "/api/v1/contracts/\(demo.id)/billing", headers: bearer(minzhi), json: ["period": last.description])
            #expect(closed.status == .conflict && closed.text.contains("已结账"), "\(closed.text)")
            let steward = try await token(app, "steward-dispatch")
            #expect(try await send(app, .POST, "/api/v1/ledger/entries", headers: bearer(steward), json: [
                "village": Self.village, "month": last.description, "direction": "income", "category": "parking", "amountFen": 100]).status == .conflict)
            // Bad ledger input: negative, fractional, a generated source by hand; the period's format; the future.
            for (field, value) in [("amountFen", -5 as Any), ("amountFen", 0.5 as Any), ("category", "serviceFee" as Any)] {
                var e: [String: Any] = ["village": Self.village, "month": thisMonth.description, "direction": "income", "category": "parking", "amountFen": 100]
                e[field] = value
                let r = try await send(app, .POST, "/api/v1/ledger/entries", headers: bearer(steward), json: e)
                #expect(r.status == .unprocessableEntity && r.text.contains(field), "\(field)=\(value): \(r.text)")
            }
            #expect(try await send(app, .POST, "/api/v1/contracts/\(demo.id)/billing", headers: bearer(minzhi), json: ["period": "2026-13"]).status == .badRequest)
            #expect(try await send(app, .POST, "/api/v1/contracts/\(demo.id)/billing", headers: bearer(minzhi), json: ["period": "2099-01"]).status == .unprocessableEntity)
            #expect(try await send(app, .POST, "/api/v1/contracts/\(demo.id)/billing", headers: bearer(steward), json: ["period": thisMonth.description]).status == .forbidden)
        }
    }

    @Test func aRefusedContractFormComesBackFilledInWithTheReasonByItsField() async throws {
        try await withTestApp { app in
            let demo = try #require(try await ContractStore(db: app.db).list(scope: .all).first { $0.number == DemoDistrict.contractNumber(streetCode: "440309002") })
            let (cookie, _) = try await webLogin(app, "street-minzhi")
            let path = "/contracts/\(demo.id.uuidString.lowercased())"
            let page = try await send(app, .GET, path, headers: ["Cookie": cookie])
            #expect(page.status == .ok && page.text.contains("id=\"act-terminate\""), "\(page.text.prefix(200))")
            let csrf = try #require(page.csrfToken)
            // Terminating without a reason: the page again, the date kept, the reason asked for by its field.
            let refused = try await send(app, .POST, "\(path)/actions/terminate", headers: ["Cookie": cookie],
                                         form: ["_csrf": csrf, "note": " ", "date": "2026-12-31"])
            #expect(refused.status == .unprocessableEntity, "\(refused.status) \(refused.text.prefix(300))")
            #expect(refused.text.contains("id=\"terminate-note-error\">请写明理由</p>") && refused.text.contains("value=\"2026-12-31\""))
            #expect(refused.text.contains("aria-invalid=\"true\" aria-describedby=\"terminate-note-error\""))
            #expect(!refused.text.contains("lines[") && !refused.text.contains("字段"))
            // Billing an impossible month: the typed period stays with the message under it, in English when asked.
            let billing = try await send(app, .POST, "\(path)/billing?lang=en", headers: ["Cookie": cookie], form: ["_csrf": csrf, "period": "2026-13"])
            #expect(billing.status == .badRequest)
            #expect(billing.text.contains("value=\"2026-13\"") && billing.text.contains("id=\"billing-period-error\">"), "\(billing.text.prefix(300))")
            // Nothing changed.
            #expect(try await ContractStore(db: app.db).find(demo.id, scope: .all).state == demo.state)
        }
    }

    /// The contract's agreed limit for a matter sets the deadline of the cases routed to it (working hours, urgent
    /// half), from intake through refiling and reopening; a case the contract did not route keeps its category's.
    @Test func aContractsTimeLimitSetsItsCasesDeadlines() async throws {
        try await withTestApp { app in
            let reference = try await app.caseReference.get(app.db)
            let demo = try #require(try await ContractStore(db: app.db).list(scope: .all).first { $0.number == DemoDistrict.contractNumber(streetCode: "440309002") })
            let line = try #require(demo.terms.lines.first { $0.timeLimitHours != nil })
            let hours = try #require(line.timeLimitHours)
            let category = try #require(reference.taxonomy.categories.first { $0.kind == .event && $0.matter == line.matterCode && !$0.beyondStewardAuthority })
            let patrol = try await token(app, "steward-patrol")
            let point = try await gridCentre(app, songziyuan, 1)
            let iso = ISO8601DateFormatter()
            for (urgency, expected) in [("normal", Double(hours)), ("urgent", (Double(hours) / 2).rounded(.up))] {
                let r = try await report(app, patrol, category: category.code, at: point, extra: ["urgency": urgency])
                #expect((r.json["routing"] as? [String: Any])?["rule"] as? String == "entrusted", Comment(rawValue: r.text))
                let deadline = try #require((r.json["deadline"] as? String).flatMap(iso.date(from:)))
                let want = TimeLimit(amount: expected, unit: .workingHours).deadline(from: app.clock.now, on: reference.calendar)
                #expect(abs(deadline.timeIntervalSince(want)) < 1, "\(urgency): \(deadline) against \(want)")
                let own = try #require(category.limit(urgency == "urgent" ? .urgent : .normal)).deadline(from: app.clock.now, on: reference.calendar)
                #expect(own != want, "the test needs a contract limit that differs from the category's")
            }
            // A beyond-authority class in the same place goes to the street office under the category's own limit.
            let enforcement = try #require(reference.taxonomy.categories.first { $0.kind == .event && $0.beyondStewardAuthority })
            let r = try await report(app, patrol, category: enforcement.code, at: point)
            let deadline = try #require((r.json["deadline"] as? String).flatMap(iso.date(from:)))
            #expect(abs(deadline.timeIntervalSince(try #require(enforcement.limit(.normal)).deadline(from: app.clock.now, on: reference.calendar))) < 1)
        }
    }

    /// Nobody assigns a steward its villages: what its contracts in force entrust is its scope, and a contract that
    /// ends takes its villages with it.
    @Test func aStewardsVillagesFollowItsContracts() async throws {
        try await withTestApp { app in
            func villages() async throws -> [String] {
                let reply = try await send(app, .GET, "/api/v1/areas?kind=village", headers: bearer(try await token(app, "steward-dispatch")))
                return try JSONDecoder().decode(AreasAPIController.AreaList.self, from: Data(reply.text.utf8)).items.map(\.code).sorted()
            }
            #expect(try await villages() == DemoDistrict.villageCodes.sorted())
            let minzhi = try await token(app, "street-minzhi")
            let demo = try #require(try await ContractStore(db: app.db).list(scope: .all).first { $0.number == DemoDistrict.contractNumber(streetCode: "440309002") })
            let ended = try await send(app, .POST, "/api/v1/contracts/\(demo.id)/actions/terminate", headers: bearer(minzhi),
                                       json: ["date": "2026-11-30", "note": "合同解除"])
            #expect(ended.status == .ok, Comment(rawValue: ended.text))
            #expect(try await villages().contains("440309002001V01"))   // until the termination date
            app.testClock.set(LocalDate(year: 2026, month: 12, day: 1).beijingMidnight.addingTimeInterval(3600))
            #expect(try await villages() == DemoDistrict.villageCodes.filter { $0 != "440309002001V01" }.sorted())
            let village = try await areaID(app, code: "440309002001V01")
            #expect(try await send(app, .GET, "/api/v1/areas/\(village)", headers: bearer(try await token(app, "steward-patrol"))).status == .notFound)
        }
    }

    @Test func amendmentsKeepTheHistoryAndTerminationEndsTheMatters() async throws {
        try await withTestApp { app in
            let minzhi = try await token(app, "street-minzhi")
            let demo = try #require(try await ContractStore(db: app.db).list(scope: .all).first { $0.number == DemoDistrict.contractNumber(streetCode: "440309002") })
            let amended = try await send(app, .POST, "/api/v1/contracts/\(demo.id)/amend", headers: bearer(minzhi))
            #expect(amended.status == .created)
            let v2 = try #require(amended.json["contract"] as? [String: Any])
            #expect(v2["version"] as? Int == 2 && v2["state"] as? String == "draft" && (amended.json["versions"] as? [[String: Any]])?.count == 2)
            #expect(try await send(app, .POST, "/api/v1/contracts/\(demo.id)/amend", headers: bearer(minzhi)).status == .conflict, "one amendment at a time")
            // The amendment raises patrol staff from 3 to 4 per village from next month and goes through review again.
            var b = body(start: thisMonth.next.description + "-01")
            b["title"] = demo.terms.title
            b["areas"] = demo.terms.areas
            b["lines"] = demo.terms.lines.map { l -> [String: Any] in
                ["matterCode": l.matterCode, "quantity": l.matterCode == "M-PAT-01" ? 4 * demo.terms.areas.count : l.quantity, "unit": l.unit, "unitPriceFen": l.unitPriceFen]
            }
            b["procurement"] = "singleSource"
            b["deductions"] = [["basis": "overdueCase", "amountFen": 20_000, "capFen": 500_000]]
            let v2id = try #require(v2["id"] as? String)
            let edited = try await send(app, .PUT, "/api/v1/contracts/\(v2id)", headers: bearer(minzhi), json: b)
            #expect(edited.status == .ok, Comment(rawValue: edited.text))
            let signers = ["submit": minzhi, "countersign": try await token(app, "steward-dispatch"), "sign": try await token(app, "street-minzhi-lead"), "activate": minzhi]
            for action in ["submit", "countersign", "sign", "activate"] {
                let r = try await send(app, .POST, "/api/v1/contracts/\(v2id)/actions/\(action)", headers: bearer(signers[action]!), json: [:])
                #expect(r.status == .ok, "\(action): \(r.text)")
            }
            let versions = try await ContractStore(db: app.db).versions(number: demo.number)
            #expect(versions.map(\.state) == [.superseded, .active])
            // The old version's matters end where the amendment starts; the new ones start there.
            let rows = try await TaxonomyStore(db: app.db).entrustments().filter { $0.contract == demo.number }
            let cut = LocalDate(thisMonth.next.description + "-01")!.beijingMidnight
            #expect(rows.filter { $0.validTo == cut }.count == rows.count / 2 && rows.filter { $0.validFrom == cut }.count == rows.count / 2)
            // Editing an active version is refused; terminating needs a reason and a date in the term.
            #expect(try await send(app, .PUT, "/api/v1/contracts/\(v2id)", headers: bearer(minzhi), json: b).status == .conflict)
            #expect(try await send(app, .POST, "/api/v1/contracts/\(v2id)/actions/terminate", headers: bearer(minzhi), json: ["date": "2027-06-30"]).status == .unprocessableEntity)
            let ended = try await send(app, .POST, "/api/v1/contracts/\(v2id)/actions/terminate", headers: bearer(minzhi), json: ["date": "2027-06-30", "note": "双方协商解除"])
            #expect(ended.status == .ok, "\(ended.text)")
            let after = try await TaxonomyStore(db: app.db).entrustments().filter { $0.contract == demo.number }
            #expect(after.allSatisfy { ($0.validTo ?? .distantFuture) <= LocalDate(year: 2027, month: 6, day: 30).beijingMidnight })
            let history = try await send(app, .GET, "/api/v1/contracts/\(v2id)", headers: bearer(minzhi))
            #expect((history.json["events"] as? [[String: Any]])?.count == 7, "amend, edit, submit, countersign, sign, activate, terminate: \(history.text.prefix(300))")
        }
    }
}

@Suite("Contracts and money: the rest of the API's refusals and scope")
struct FinanceAPIRefusalsTests {
    @Test func takeoversPricesRunsLedgerAndSubsidiesRefuseAndScope() async throws {
        try await withTestApp { app in
            let minzhi = try await token(app, "street-minzhi"), guanlan = try await token(app, "street-guanlan")
            let admin = try await token(app, "district-admin"), steward = try await token(app, "steward-dispatch")
            let village = ContractsTests.village
            // Takeover: read, set, every refusal, another street's village is not found.
            let t = try await send(app, .GET, "/api/v1/villages/\(village)/takeover", headers: bearer(minzhi))
            #expect(t.status == .ok && t.json["mode"] as? String != nil)
            let set = try await send(app, .PUT, "/api/v1/villages/\(village)/takeover", headers: bearer(minzhi),
                                     json: ["mode": "consulting", "since": "2026-01-01", "formerCompany": "某物业", "contracts": [
                                        ["counterparty": "formerCompany", "kind": "cooperation", "reference": "HZ-1", "signedOn": "2025-12-01", "from": "2026-01-01"]]])
            #expect(set.status == .ok && set.json["modeLabel"] as? String == "并存·顾问咨询", "\(set.text)")
            #expect(try await send(app, .PUT, "/api/v1/villages/\(village)/takeover", headers: bearer(minzhi), json: ["mode": "takeover", "since": "2026-01-01"])
                .text.contains("mode"))
            #expect(try await send(app, .PUT, "/api/v1/villages/\(village)/takeover", headers: bearer(minzhi), json: ["mode": "merger", "since": "2026-01-01"])
                .text.contains("formerCompany"))
            #expect(try await send(app, .PUT, "/api/v1/villages/\(village)/takeover", headers: bearer(steward), json: ["mode": "fullTakeover", "since": "2026-01-01"])
                .status == .forbidden)
            #expect(try await send(app, .GET, "/api/v1/villages/\(village)/takeover", headers: bearer(guanlan)).status == .notFound)
            #expect(try await AuditStore(db: app.db).list(AuditStore.Filter(action: "contract.changed", subject: "takeover:\(village)")).total == 1)
            // Prices: only the district office; money checked; an unknown matter is not found.
            #expect(try await send(app, .PUT, "/api/v1/catalog/prices/M-SAN-01", headers: bearer(minzhi), json: ["unit": "m²", "benchmarkFen": 90]).status == .forbidden)
            #expect(try await send(app, .PUT, "/api/v1/catalog/prices/M-SAN-01", headers: bearer(admin), json: ["unit": "m²", "benchmarkFen": 0.5]).status == .unprocessableEntity)
            #expect(try await send(app, .PUT, "/api/v1/catalog/prices/M-NOPE", headers: bearer(admin), json: ["unit": "m²", "benchmarkFen": 90]).status == .notFound)
            #expect(try await send(app, .PUT, "/api/v1/catalog/prices/M-SAN-01", headers: bearer(admin), json: ["unit": "m²", "benchmarkFen": 90]).json["benchmarkFen"] as? Int == 90)
            // The price endpoints are deprecated for the matter catalog: every answer says so, refusals too.
            for answer in [try await send(app, .GET, "/api/v1/catalog/prices", headers: bearer(admin)),
                           try await send(app, .PUT, "/api/v1/catalog/prices/M-SAN-01", headers: bearer(minzhi), json: ["unit": "m²", "benchmarkFen": 90]),
                           try await send(app, .GET, "/api/v1/catalog/prices")] {
                #expect(answer.headers.first(name: "Deprecation") == "@1796515200", "\(answer.status)")
                #expect(answer.headers.first(name: "Sunset") == "Wed, 30 Jun 2027 00:00:00 GMT")
                #expect(answer.headers.first(name: .link) == "</api/v1/catalog/matters>; rel=\"successor-version\"")
            }
            #expect(try await send(app, .GET, "/api/v1/catalog/prices").status == .unauthorized)
            #expect(try await send(app, .GET, "/api/v1/catalog/matters", headers: bearer(admin)).headers.first(name: "Deprecation") == nil)
            // A billing run is seen by its street, not by another's.
            let demo = try #require(try await ContractStore(db: app.db).list(scope: .all).first { $0.number == DemoDistrict.contractNumber(streetCode: "440309002") })
            let run = try await send(app, .POST, "/api/v1/contracts/\(demo.id)/billing", headers: bearer(minzhi), json: ["period": LedgerMonth(LocalDate.beijing(app.clock.now)).description])
            let runID = try #require(run.json["id"] as? String)
            #expect(try await send(app, .GET, "/api/v1/billing/\(runID)", headers: bearer(minzhi)).status == .ok)
            #expect(try await send(app, .GET, "/api/v1/billing/\(runID)", headers: bearer(guanlan)).status == .notFound)
            #expect(try await send(app, .GET, "/api/v1/billing/\(runID)/export.xlsx", headers: bearer(guanlan)).status == .notFound)
            #expect(try await send(app, .GET, "/api/v1/billing/\(UUID())", headers: bearer(minzhi)).status == .notFound)
            #expect(try await send(app, .GET, "/api/v1/contracts/\(demo.id)/billing", headers: bearer(guanlan)).status == .notFound)
            // Ledger, fees and subsidies: bad queries are 400, others' villages 404.
            #expect(try await send(app, .GET, "/api/v1/ledger?months=0", headers: bearer(minzhi)).status == .badRequest)
            #expect(try await send(app, .GET, "/api/v1/ledger?to=2026-13", headers: bearer(minzhi)).status == .badRequest)
            #expect(try await send(app, .GET, "/api/v1/ledger?village=\(village)", headers: bearer(guanlan)).status == .notFound)
            #expect(try await send(app, .GET, "/api/v1/villages/\(village)/fee-schedule", headers: bearer(guanlan)).status == .notFound)
            #expect(try await send(app, .PUT, "/api/v1/villages/\(village)/fee-schedule", headers: bearer(minzhi), json: ["from": "2026-1", "fenPerHousehold": 100]).status == .badRequest)
            #expect(try await send(app, .GET, "/api/v1/fees/bills?village=\(village)&month=May", headers: bearer(minzhi)).status == .badRequest)
            #expect(try await send(app, .POST, "/api/v1/fees/bills", headers: bearer(minzhi), json: ["village": village, "month": "2099-01"]).status == .unprocessableEntity)
            #expect(try await send(app, .POST, "/api/v1/fees/bills", headers: bearer(minzhi), json: ["village": village, "month": LedgerMonth(LocalDate.beijing(app.clock.now)).description])
                .status == .conflict, "no schedule yet")
            #expect(try await send(app, .POST, "/api/v1/fees/bills/\(UUID())/payments", headers: bearer(steward), json: ["amountFen": 100]).status == .notFound)
            #expect(try await send(app, .GET, "/api/v1/subsidies?state=maybe", headers: bearer(minzhi)).status == .badRequest)
            #expect(try await send(app, .POST, "/api/v1/subsidies", headers: bearer(minzhi), json: ["kind": "gift", "village": village]).status == .badRequest)
            #expect(try await send(app, .POST, "/api/v1/subsidies", headers: bearer(minzhi), json: ["kind": "policy", "village": village, "title": "x", "reason": "long enough reason", "amountFen": 1]).status == .forbidden)
            #expect(try await send(app, .POST, "/api/v1/subsidies/\(UUID())/decision", headers: bearer(admin), json: ["approve": true]).status == .notFound)
            #expect(try await send(app, .GET, "/api/v1/subsidies", headers: bearer(try await token(app, "data-platform"))).status == .forbidden)
        }
    }
}
