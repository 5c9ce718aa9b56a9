@testable import CityStewardApp
import CityStewardCore
import CityStewardStore
import CityStewardTestSupport
import Foundation
import Testing
import VaporTesting

@Suite("Property fees, subsidies and the whole ledger")
struct FeesSubsidiesTests {
    let village = ContractsTests.village
    var thisMonth: LedgerMonth { LedgerMonth(LocalDate.beijing(testStart)) }

    @Test func everySourceReachesTheLedgerAndTheSumsAgree() async throws {
        try await withTestApp { app in
            let people = try await loadDemoResidents(app)
            let minzhi = try await token(app, "street-minzhi"), steward = try await token(app, "steward-dispatch"), admin = try await token(app, "district-admin")
            let month = thisMonth
            // Property fees: the street office sets ¥50 a household a month; the steward bills the month.
            #expect(try await send(app, .PUT, "/api/v1/villages/\(village)/fee-schedule", headers: bearer(steward),
                                   json: ["from": month.description, "fenPerHousehold": 5_000]).status == .forbidden)
            let set = try await send(app, .PUT, "/api/v1/villages/\(village)/fee-schedule", headers: bearer(minzhi), json: ["from": month.description, "fenPerHousehold": 5_000])
            #expect(set.status == .ok, "\(set.text)")
            let first = month.description + "-01", next = month.next.description + "-01"
            let households = Set(people.filter { $0.building.hasPrefix("440309002001") && $0.moveIn < next && ($0.moveOut.isEmpty || $0.moveOut >= first) }
                .map { $0.building + "/" + $0.unit })
            #expect(households.count > 5)
            let issued = try await send(app, .POST, "/api/v1/fees/bills", headers: bearer(steward), json: ["village": village, "month": month.description])
            #expect(issued.status == .created && issued.json["issued"] as? Int == households.count, "\(issued.text)")
            #expect(try await send(app, .POST, "/api/v1/fees/bills", headers: bearer(steward), json: ["village": village, "month": month.description]).json["issued"] as? Int == 0)
            #expect(try await send(app, .POST, "/api/v1/fees/bills", headers: bearer(steward), json: ["village": "440309006001V01", "month": month.description]).status == .notFound)
            let listed = try await send(app, .GET, "/api/v1/fees/bills?village=\(village)&month=\(month)", headers: bearer(steward))
            let bills = try #require(listed.json["bills"] as? [[String: Any]])
            #expect(bills.count == households.count && listed.json["arrearsFen"] as? Int == 5_000 * households.count)
            let billID = try #require(bills.first?["id"] as? String)
            let paid = try await send(app, .POST, "/api/v1/fees/bills/\(billID)/payments", headers: bearer(steward), json: ["amountFen": 2_000, "method": "wechat"])
            #expect(paid.status == .ok && paid.json["outstandingFen"] as? Int == 3_000, "\(paid.text)")
            #expect(try await send(app, .POST, "/api/v1/fees/bills/\(billID)/payments", headers: bearer(steward), json: ["amountFen": 3_001]).status == .badRequest)
            #expect(try await send(app, .POST, "/api/v1/fees/bills/\(billID)/payments", headers: bearer(steward), json: ["amountFen": 10.5]).status == .unprocessableEntity)
            #expect(try await send(app, .POST, "/api/v1/fees/bills/\(billID)/payments", headers: bearer(steward), json: ["amountFen": 100, "method": "gold"]).status == .badRequest)
            // The bills as a finance officer opens them: every household, billed, paid and outstanding, with totals.
            let csv = try await send(app, .GET, "/api/v1/fees/bills/export.csv?village=\(village)&month=\(month)", headers: bearer(minzhi))
            #expect(csv.status == .ok && ResidentCSV.records(String(csv.text.dropFirst())).count == households.count + 2)
            if SpreadsheetReader.available {
                let xlsx = try await app.testing().sendRequest(.GET, "/api/v1/fees/bills/export.xlsx?village=\(village)&month=\(month)", headers: bearer(minzhi))
                let rows = try #require(try SpreadsheetReader.read(Data(buffer: xlsx.body)).values.first)
                #expect(rows.count == households.count + 2)
                #expect(rows.last?.compactMap { $0 as? Double } == [Double(households.count * 50), 20, Double(households.count * 50) - 20], "\(rows.last ?? [])")
            }

            // A policy subsidy: the steward asks ¥5,000 for unforeseen work; the district office approves ¥4,000, with the reason.
            let asked = try await send(app, .POST, "/api/v1/subsidies", headers: bearer(steward), json: [
                "kind": "policy", "village": village, "title": "台风后紧急清障", "reason": "台风过境后清理倒伏树木和垃圾，合同委托事项外的突发任务", "amountFen": 500_000])
            #expect(asked.status == .created, "\(asked.text)")
            let policyID = try #require(asked.json["id"] as? String)
            #expect(try await send(app, .POST, "/api/v1/subsidies", headers: bearer(steward), json: ["kind": "policy", "village": village, "title": "x", "reason": "短", "amountFen": -1])
                .text.contains("reason"))
            #expect(try await send(app, .POST, "/api/v1/subsidies/\(policyID)/decision", headers: bearer(minzhi), json: ["approve": true]).status == .forbidden)
            #expect(try await send(app, .POST, "/api/v1/subsidies/\(policyID)/decision", headers: bearer(admin), json: ["approve": true, "amountFen": 400_000]).status == .unprocessableEntity)
            #expect(try await send(app, .POST, "/api/v1/subsidies/\(policyID)/decision", headers: bearer(admin), json: ["approve": true, "amountFen": 600_000]).status == .unprocessableEntity)
            let approved = try await send(app, .POST, "/api/v1/subsidies/\(policyID)/decision", headers: bearer(admin),
                                          json: ["approve": true, "amountFen": 400_000, "note": "按实际清运量核减"])
            #expect(approved.status == .ok && approved.json["state"] as? String == "approved" && approved.json["approvedFen"] as? Int == 400_000)
            #expect(try await send(app, .POST, "/api/v1/subsidies/\(policyID)/decision", headers: bearer(admin), json: ["approve": false, "note": "again"]).status == .conflict)

            // The introduction subsidy for the shareholding company: year one of the schedule, confirmed by the street office.
            let intro = try await send(app, .POST, "/api/v1/subsidies", headers: bearer(minzhi), json: ["kind": "introduction", "village": village])
            let due = try #require(IntroductionSubsidySchedule.standard.amount(since: LocalDate(year: 2026, month: 1, day: 1), on: LocalDate.beijing(app.clock.now)))
            #expect(intro.status == .created && intro.json["amountFen"] as? Int == due.fen && intro.json["serviceYear"] as? Int == due.year, "\(intro.text)")
            #expect(try await send(app, .POST, "/api/v1/subsidies", headers: bearer(minzhi), json: ["kind": "introduction", "village": village]).status == .conflict)
            let introID = try #require(intro.json["id"] as? String)
            #expect(try await send(app, .POST, "/api/v1/subsidies/\(introID)/decision", headers: bearer(steward), json: ["approve": true]).status == .forbidden)
            #expect(try await send(app, .POST, "/api/v1/subsidies/\(introID)/decision", headers: bearer(minzhi), json: ["approve": true, "note": "经街道办认定"]).status == .ok)
            #expect(try await send(app, .GET, "/api/v1/subsidies?state=approved", headers: bearer(try await token(app, "street-guanlan"))).text == "[]")

            // Government service purchase (this month's bill of the demo contract), parking and the maintenance fund, a cost.
            let demo = try #require(try await ContractStore(db: app.db).list(scope: .all).first { $0.number == DemoDistrict.contractNumber(streetCode: "440309002") })
            let bill = try await send(app, .POST, "/api/v1/contracts/\(demo.id)/billing", headers: bearer(minzhi), json: ["period": month.description])
            #expect(bill.status == .created)
            let net = try #require(bill.json["netFen"] as? Int)
            for (category, fen) in [("parking", 80_000), ("maintenanceFund", 30_000)] {
                #expect(try await send(app, .POST, "/api/v1/ledger/entries", headers: bearer(steward), json: [
                    "village": village, "month": month.description, "direction": "income", "category": category, "amountFen": fen]).status == .created)
            }
            #expect(try await send(app, .POST, "/api/v1/ledger/entries", headers: bearer(steward), json: [
                "village": village, "month": month.description, "direction": "cost", "category": "materials", "amountFen": 150_000]).status == .created)

            let ledger = try await send(app, .GET, "/api/v1/ledger?village=\(village)&months=12", headers: bearer(minzhi))
            let sources = try #require(ledger.json["incomeBySource"] as? [String: Int])
            // The contract's net is split evenly over its villages, the remainder to the first.
            let n = demo.terms.areas.count
            let share = net - (net / n) * (n - 1)
            #expect(sources == ["propertyFee": 2_000, "serviceFee": share, "parking": 80_000, "maintenanceFund": 30_000,
                                "introductionSubsidy": due.fen, "policySubsidy": 400_000], "\(sources)")
            #expect(ledger.json["incomeFen"] as? Int == sources.values.reduce(0, +) && ledger.json["costFen"] as? Int == 150_000)
            let months = try #require(ledger.json["months"] as? [[String: Any]])
            #expect(months.count == 12 && months.last?["month"] as? String == month.description)
            #expect(months.last?["balanceFen"] as? Int == sources.values.reduce(0, +) - 150_000)
            // The street's view sums its villages; the district's all of them.
            let street = try await send(app, .GET, "/api/v1/ledger?street=440309002&months=1", headers: bearer(minzhi))
            #expect(street.json["incomeFen"] as? Int == sources.values.reduce(0, +) + (net - share), "\(street.text.prefix(300))")
            let district = try await send(app, .GET, "/api/v1/ledger?months=1", headers: bearer(admin))
            #expect(district.json["incomeFen"] as? Int == street.json["incomeFen"] as? Int)
            #expect(try await send(app, .GET, "/api/v1/ledger?street=440309002", headers: bearer(try await token(app, "street-guanlan"))).status == .notFound)
        }
    }
}

@Suite("The demo's money")
struct DemoFinanceTests {
    @Test func theDemoYearFillsEverySourceAndBillsEveryMonth() async throws {
        try await withTestApp { app in
            try await loadDemoResidents(app)
            #expect(try await DemoFinance.load(app))
            #expect(try await DemoFinance.load(app) == false, "once")
            let this = LedgerMonth(LocalDate.beijing(app.clock.now))
            let months = (this.year - 2026) * 12 + this.month
            let demo = DemoDistrict.contractNumber(streetCode: "440309002")
            #expect(try await FinanceStore(db: app.db).runs(contractNumber: demo).count == months)
            let admin = try await token(app, "district-admin")
            let ledger = try await send(app, .GET, "/api/v1/ledger?months=12", headers: bearer(admin))
            let sources = try #require(ledger.json["incomeBySource"] as? [String: Int])
            #expect(Set(sources.keys) == Set(IncomeSource.allCases.filter { $0 != .policySubsidy }.map(\.rawValue)), "\(sources)")
            #expect(ledger.json["incomeFen"] as? Int == sources.values.reduce(0, +))
            #expect(try await send(app, .GET, "/api/v1/subsidies?state=requested", headers: bearer(admin)).text.contains("台风后紧急清障"))
        }
    }
}
