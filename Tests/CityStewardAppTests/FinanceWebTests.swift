@testable import CityStewardApp
import CityStewardCore
import CityStewardStore
import CityStewardTestSupport
import Foundation
import Testing
import VaporTesting

@Suite("Contracts and money in the console")
struct FinanceWebTests {
    func location(_ r: Reply) -> String { r.headers.first(name: .location) ?? "" }

    @Test func theStreetOfficeWorksContractsBillsAndTheLedgerFromThePages() async throws {
        try await withTestApp { app in
            let (cookie, _) = try await webLogin(app, "street-minzhi")
            let demo = try #require(try await ContractStore(db: app.db).list(scope: .all).first { $0.number == DemoDistrict.contractNumber(streetCode: "440309002") })
            let list = try await send(app, .GET, "/contracts", headers: ["Cookie": cookie])
            #expect(list.status == .ok && list.text.contains(demo.number) && !list.text.contains("HT-440309006"))
            let page = try await send(app, .GET, "/contracts/\(demo.id)", headers: ["Cookie": cookie])
            #expect(page.status == .ok && page.text.contains("M-SAN-01") && page.text.contains("/contracts/\(demo.id)/amend"))
            #expect(TakeoverMode.allCases.contains { page.text.contains($0.label.zh) }, "the villages' takeover modes")
            let csrf = try #require(page.csrfToken)
            #expect(try await send(app, .GET, "/contracts/\(demo.id)/print", headers: ["Cookie": cookie]).text.contains("甲方（街道办）"))
            // Bill this month from the page: to the bill, every line explained, with the exports.
            let month = LedgerMonth(LocalDate.beijing(app.clock.now)).description
            let billed = try await send(app, .POST, "/contracts/\(demo.id)/billing", headers: ["Cookie": cookie], form: ["_csrf": csrf, "period": month])
            #expect(location(billed).hasPrefix("/billing/"), "\(billed.status) \(billed.text.prefix(200))")
            let bill = try await send(app, .GET, location(billed), headers: ["Cookie": cookie])
            #expect(bill.status == .ok && bill.text.contains("元/m²·月") && bill.text.contains("export.xlsx"))
            // The page's download links work with the session.
            let xlsx = try await send(app, .GET, location(billed) + "/export.xlsx", headers: ["Cookie": cookie])
            #expect(xlsx.status == .ok && xlsx.headers.contentType?.description.contains("spreadsheetml") == true)
            // A bad period comes back as the contract page with the period kept and the reason by it.
            let bad = try await send(app, .POST, "/contracts/\(demo.id)/billing", headers: ["Cookie": cookie], form: ["_csrf": csrf, "period": "2026-13"])
            #expect(bad.status == .badRequest && bad.text.contains("结算期应为") && bad.text.contains("value=\"2026-13\""))

            // A new contract from the form (arrays for villages and matter rows), saved as a draft.
            let form = try await send(app, .GET, "/contracts/new", headers: ["Cookie": cookie])
            #expect(form.status == .ok && form.text.contains("M-CON-01"))
            func encode(_ pairs: [(String, String)]) -> String {
                pairs.map { "\($0.0.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)=\($0.1.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)" }.joined(separator: "&")
            }
            var headers: HTTPHeaders = ["Cookie": cookie]
            headers.contentType = .urlEncodedForm
            var fields: [(String, String)] = [("_csrf", csrf), ("title", "施工巡查合同"), ("steward", "LH-STEWARD-01"), ("procurement", "directEntrustment"),
                                              ("areas[]", ContractsTests.village), ("start", "2026-10-01"), ("end", "2027-09-30"),
                                              ("matter[]", "M-CON-01"), ("quantity[]", "2"), ("unitPriceYuan[]", ""), ("priceReason[]", ""),
                                              ("matter[]", ""), ("quantity[]", ""), ("unitPriceYuan[]", ""), ("priceReason[]", ""),
                                              ("overdueYuan", "200"), ("overdueCapYuan", "5000"), ("failedYuan", "100"), ("checkItem[]", "资格"), ("checkResult[]", "passed"),
                                              ("checker[]", "街道办"), ("checkDate[]", "2026-09-20"), ("noticeDate", "2026-09-25"), ("noticeChannel", "公告栏"), ("noticeText", "告知")]
            let made = try await send(app, .POST, "/contracts/new", headers: headers, raw: encode(fields))
            #expect(location(made).hasPrefix("/contracts/") && !location(made).contains("error"), "\(location(made))")
            let draft = try await send(app, .GET, location(made), headers: ["Cookie": cookie])
            #expect(draft.text.contains("施工巡查合同") && draft.text.contains("3,000.00") && draft.text.contains("actions/submit"))
            // Fractional fen in a price comes back with the reason; nothing is saved.
            fields[fields.firstIndex { $0.0 == "unitPriceYuan[]" }!].1 = "12.345"
            let count = try await ContractStore(db: app.db).list(scope: .all).count
            let refused = try await send(app, .POST, "/contracts/new", headers: headers, raw: encode(fields))
            // The form comes back with everything typed and the reason beside the matter's row, in Chinese.
            #expect(refused.status == .badRequest, Comment(rawValue: String(refused.text.prefix(300))))
            #expect(refused.text.contains("value=\"施工巡查合同\"") && refused.text.contains("value=\"12.345\"") && refused.text.contains("value=\"2027-09-30\""))
            #expect(refused.text.contains("value=\"\(ContractsTests.village)\" checked") && refused.text.contains("<option value=\"M-CON-01\" selected>"))
            #expect(refused.text.contains("class=\"error\"") && !refused.text.contains("lines[0]") && !refused.text.contains("unitPriceFen"))
            #expect(try await ContractStore(db: app.db).list(scope: .all).count == count)
            // A missing title and no village: each message by its field, the rest kept.
            var incomplete = fields.filter { $0.0 != "areas[]" }
            incomplete[incomplete.firstIndex { $0.0 == "title" }!].1 = " "
            incomplete[incomplete.firstIndex { $0.0 == "unitPriceYuan[]" }!].1 = ""
            let missing = try await send(app, .POST, "/contracts/new", headers: headers, raw: encode(incomplete))
            #expect(missing.status == .badRequest && missing.text.contains("id=\"title-error\"") && missing.text.contains("id=\"areas-error\""))
            #expect(missing.text.contains("合同名称不能为空") && missing.text.contains("value=\"告知\"") == false && missing.text.contains(">告知</textarea>"))

            // The ledger page: the chart, the month's bill under government service purchase, the entry form.
            let ledger = try await send(app, .GET, "/ledger?village=\(ContractsTests.village)", headers: ["Cookie": cookie])
            #expect(ledger.status == .ok && ledger.text.contains("<svg") && ledger.text.contains("class=\"chart\"") && ledger.text.contains("政府购买服务"))
            let entered = try await send(app, .POST, "/ledger/entries?village=\(ContractsTests.village)", headers: ["Cookie": cookie],
                                         form: ["_csrf": csrf, "village": ContractsTests.village, "month": month, "kind": "income:parking", "amountYuan": "800.50"])
            #expect(location(entered) == "/ledger?village=\(ContractsTests.village)", "\(location(entered))")
            let sums = try await send(app, .GET, "/api/v1/ledger?village=\(ContractsTests.village)&months=1", headers: bearer(try await token(app, "street-minzhi")))
            #expect((sums.json["incomeBySource"] as? [String: Int])?["parking"] == 80_050, Comment(rawValue: sums.text))
            for path in ["/catalog", "/subsidies", "/fees?village=\(ContractsTests.village)", "/ledger/export.csv?village=\(ContractsTests.village)"] {
                let r = try await send(app, .GET, path, headers: ["Cookie": cookie])
                #expect(r.status == .ok, Comment(rawValue: "\(path): \(r.text.prefix(500))"))
            }
            // The village page names its takeover mode and the contracts that cover it.
            let village = try #require(try await AreaStore(db: app.db).find(code: ContractsTests.village))
            let villagePage = try await send(app, .GET, "/areas/\(village.id.uuidString.lowercased())", headers: ["Cookie": cookie])
            #expect(villagePage.text.contains("物业接管方式") && villagePage.text.contains(demo.number) && villagePage.text.contains("WY-2026-"))
            // Another street's contract is not found.
            let other = try #require(try await ContractStore(db: app.db).list(scope: .all).first { $0.number.hasPrefix("HT-440309006") })
            #expect(try await send(app, .GET, "/contracts/\(other.id)", headers: ["Cookie": cookie]).status == .notFound)
        }
    }

    @Test func theDistrictEditsPricesAndDecidesSubsidiesFromThePages() async throws {
        try await withTestApp { app in
            let (steward, stewardPage) = try await webLogin(app, "steward-dispatch")
            _ = stewardPage
            let subsidies = try await send(app, .GET, "/subsidies", headers: ["Cookie": steward])
            let csrf = try #require(subsidies.csrfToken)
            let asked = try await send(app, .POST, "/subsidies", headers: ["Cookie": steward],
                                       form: ["_csrf": csrf, "kind": "policy", "village": ContractsTests.village, "title": "暴雨抢险", "reason": "暴雨后清淤和临时排水，属合同外突发任务", "amountYuan": "3000"])
            #expect(location(asked) == "/subsidies")
            let (admin, _) = try await webLogin(app, "district-admin")
            let page = try await send(app, .GET, "/subsidies", headers: ["Cookie": admin])
            #expect(page.text.contains("暴雨抢险") && page.text.contains("value=\"approve\""))
            let villageArea = try #require(try await AreaStore(db: app.db).find(code: ContractsTests.village))
            let id = try #require(try await SubsidyStore(db: app.db).list(villageIDs: [villageArea.id]).first?.id)
            let adminCSRF = try #require(page.csrfToken)
            let decided = try await send(app, .POST, "/subsidies/\(id)/decision", headers: ["Cookie": admin],
                                         form: ["_csrf": adminCSRF, "decision": "approve", "amountYuan": "3000", "note": ""])
            #expect(location(decided) == "/subsidies")
            #expect(try await SubsidyStore(db: app.db).find(id)?.state == "approved")
            let catalog = try await send(app, .GET, "/catalog", headers: ["Cookie": admin])
            #expect(catalog.text.contains("action=\"/catalog/M-SAN-01\""))
            let priced = try await send(app, .POST, "/catalog/M-SAN-01", headers: ["Cookie": admin], form: ["_csrf": adminCSRF, "benchmarkYuan": "0.90", "unit": "m²"])
            #expect(location(priced) == "/catalog")
            #expect(try await ContractStore(db: app.db).prices().first { $0.matterCode == "M-SAN-01" }?.benchmarkFen == 90)
            let negative = try await send(app, .POST, "/catalog/M-SAN-01", headers: ["Cookie": admin], form: ["_csrf": adminCSRF, "benchmarkYuan": "-1", "unit": "m²"])
            #expect(negative.status == .badRequest && negative.text.contains("id=\"price-M-SAN-01-error\"") && negative.text.contains("value=\"-1\""))
            #expect(try await ContractStore(db: app.db).prices().first { $0.matterCode == "M-SAN-01" }?.benchmarkFen == 90, "nothing saved")
            #expect(try await send(app, .GET, "/contracts", headers: ["Cookie": try await webLogin(app, "data-platform").cookie]).status == .forbidden)
        }
    }

    /// Every money form refused for what was typed comes back as its page: the form as typed, each reason by its field, nothing saved.
    @Test func refusedMoneyFormsComeBackFilledInWithEachReasonByItsField() async throws {
        try await withTestApp { app in
            let village = ContractsTests.village
            _ = try await loadDemoResidents(app)
            let (street, _) = try await webLogin(app, "street-minzhi")
            let csrf = try #require(try await send(app, .GET, "/ledger?village=\(village)", headers: ["Cookie": street]).csrfToken)
            let ledgerToken = try await token(app, "street-minzhi")
            func sums() async throws -> [Int?] {
                let j = try await send(app, .GET, "/api/v1/ledger?village=\(village)&months=1", headers: bearer(ledgerToken)).json
                return [j["incomeFen"] as? Int, j["costFen"] as? Int]
            }
            let before = try await sums()

            // Ledger entry: an amount with three decimals and a month that is not one.
            let entry = try await send(app, .POST, "/ledger/entries?village=\(village)&lang=en", headers: ["Cookie": street],
                                       form: ["_csrf": csrf, "village": village, "month": "2026-13", "kind": "cost:materials", "amountYuan": "12.345", "memo": "水泥"])
            #expect(entry.status == .badRequest)
            #expect(entry.text.contains("id=\"entry-amount-error\"") && entry.text.contains("at most two decimals") && entry.text.contains("value=\"12.345\""))
            #expect(entry.text.contains("value=\"水泥\"") && entry.text.contains("<option value=\"cost:materials\" selected>"))
            let month = try await send(app, .POST, "/ledger/entries?village=\(village)", headers: ["Cookie": street],
                                       form: ["_csrf": csrf, "village": village, "month": "2026-13", "kind": "income:parking", "amountYuan": "10"])
            #expect(month.status == .badRequest && month.text.contains("id=\"entry-month-error\"") && month.text.contains("value=\"2026-13\""))
            #expect(try await sums() == before && before.allSatisfy { $0 != nil }, "nothing entered")

            // Closing a month that has not passed.
            let thisMonth = LedgerMonth(LocalDate.beijing(app.clock.now)).description
            let close = try await send(app, .POST, "/ledger/close?village=\(village)", headers: ["Cookie": street],
                                       form: ["_csrf": csrf, "street": "440309002", "month": thisMonth])
            #expect(close.status == .badRequest && close.text.contains("id=\"close-month-error\"") && close.text.contains("只能结已过去的月份"))

            // Fees: a schedule amount that is not money, a bill for a future month, a payment that is not money.
            let fees = try await send(app, .POST, "/fees/schedule?village=\(village)", headers: ["Cookie": street],
                                      form: ["_csrf": csrf, "village": village, "from": thisMonth, "yuanPerHousehold": "三十"])
            #expect(fees.status == .badRequest && fees.text.contains("id=\"schedule-amount-error\"") && fees.text.contains("value=\"三十\""))
            let future = LedgerMonth(LocalDate.beijing(app.clock.now)).next.description
            let issue = try await send(app, .POST, "/fees/bills?village=\(village)", headers: ["Cookie": street], form: ["_csrf": csrf, "village": village, "month": future])
            #expect(issue.status == .badRequest && issue.text.contains("id=\"issue-month-error\"") && issue.text.contains("value=\"\(future)\""))
            // Set right and issued, a bill to pay.
            let scheduled = try await send(app, .POST, "/fees/schedule?village=\(village)", headers: ["Cookie": street],
                                           form: ["_csrf": csrf, "village": village, "from": thisMonth, "yuanPerHousehold": "50"])
            #expect(scheduled.location == "/fees?village=\(village)")
            let issued = try await send(app, .POST, "/fees/bills?village=\(village)", headers: ["Cookie": street], form: ["_csrf": csrf, "village": village, "month": thisMonth])
            #expect(issued.location == "/fees?village=\(village)")
            let villageArea = try #require(try await AreaStore(db: app.db).find(code: village))
            let bill = try #require(try await FeeStore(db: app.db).bills(villageIDs: [villageArea.id], limit: 200).first { $0.outstandingFen > 0 })
            let billID = bill.id.uuidString.lowercased()
            let pay = try await send(app, .POST, "/fees/bills/\(billID)/payments?village=\(village)", headers: ["Cookie": street],
                                     form: ["_csrf": csrf, "village": village, "amountYuan": "abc", "method": "alipay"])
            #expect(pay.status == .badRequest && pay.text.contains("id=\"pay-\(bill.id.uuidString)-error\""), "\(pay.status)"); #expect(pay.text.contains("aria-invalid") && pay.text.contains("value=\"abc\""))
            #expect(pay.text.contains("<option value=\"alipay\" selected>"))
            #expect(try await FeeStore(db: app.db).bills(villageIDs: [villageArea.id], limit: 200).first { $0.id == bill.id }?.paidFen == bill.paidFen)

            // Subsidies: a request without a reason keeps the title and amount; approving more than asked is refused by the amount.
            let (steward, _) = try await webLogin(app, "steward-dispatch")
            let stewardCSRF = try #require(try await send(app, .GET, "/subsidies", headers: ["Cookie": steward]).csrfToken)
            let ask = try await send(app, .POST, "/subsidies", headers: ["Cookie": steward],
                                     form: ["_csrf": stewardCSRF, "kind": "policy", "village": village, "title": "暴雨抢险", "reason": "太短", "amountYuan": "3000"])
            #expect(ask.status == .badRequest && ask.text.contains("id=\"policy-reason-error\"") && !ask.text.contains("id=\"policy-title-error\""))
            #expect(ask.text.contains("value=\"暴雨抢险\"") && ask.text.contains(">太短</textarea>") && ask.text.contains("value=\"3000\""))
            #expect(try await SubsidyStore(db: app.db).list(villageIDs: [villageArea.id]).allSatisfy { $0.title != "暴雨抢险" })
            let asked = try await send(app, .POST, "/subsidies", headers: ["Cookie": steward],
                                       form: ["_csrf": stewardCSRF, "kind": "policy", "village": village, "title": "暴雨抢险", "reason": "暴雨后清淤和临时排水，属合同外突发任务", "amountYuan": "3000"])
            #expect(location(asked) == "/subsidies")
            let id = try #require(try await SubsidyStore(db: app.db).list(villageIDs: [villageArea.id]).first { $0.title == "暴雨抢险" }?.id)
            let (admin, _) = try await webLogin(app, "district-admin")
            let adminCSRF = try #require(try await send(app, .GET, "/subsidies", headers: ["Cookie": admin]).csrfToken)
            let tooMuch = try await send(app, .POST, "/subsidies/\(id)/decision", headers: ["Cookie": admin],
                                         form: ["_csrf": adminCSRF, "decision": "approve", "amountYuan": "5000", "note": "按实结算"])
            #expect(tooMuch.status == .badRequest && tooMuch.text.contains("id=\"decide-\(id.uuidString)-amount-error\""), "\(tooMuch.status)"); #expect(tooMuch.text.contains("aria-invalid") && tooMuch.text.contains("value=\"按实结算\""))
            #expect(try await SubsidyStore(db: app.db).find(id)?.state == "requested")
        }
    }

    /// A draft is edited on the form (rows added, checks kept), withdrawn when not pursued; an amendment opens as a form.
    @Test func draftsAndAmendmentsAreEditedOnTheFormAndADraftCanBeWithdrawn() async throws {
        try await withTestApp { app in
            let (cookie, _) = try await webLogin(app, "street-minzhi")
            let csrf = try #require(try await send(app, .GET, "/contracts/new", headers: ["Cookie": cookie]).csrfToken)
            var headers: HTTPHeaders = ["Cookie": cookie]
            headers.contentType = .urlEncodedForm
            func encode(_ pairs: [(String, String)]) -> String {
                pairs.map { "\($0.0.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)=\($0.1.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)" }.joined(separator: "&")
            }
            let base: [(String, String)] = [("_csrf", csrf), ("title", "施工巡查合同"), ("steward", "LH-STEWARD-01"), ("procurement", "directEntrustment"),
                                            ("areas[]", ContractsTests.village), ("start", "2027-01-01"), ("end", "2027-12-31"),
                                            ("matter[]", "M-CON-01"), ("quantity[]", "2"), ("unitPriceYuan[]", ""), ("timeLimitHours[]", "24"), ("priceReason[]", ""),
                                            ("guaranteeText", "兜底完成"), ("guaranteeYuan", "10000"),
                                            ("checkItem[]", "人员资格"), ("checkResult[]", "passed"), ("checker[]", "街道办"), ("checkDate[]", "2026-12-01"),
                                            ("checkItem[]", "设备"), ("checkResult[]", "failed"), ("checker[]", "街道办"), ("checkDate[]", "2026-12-01")]
            let made = try await send(app, .POST, "/contracts/new", headers: headers, raw: encode(base))
            let path = location(made)
            #expect(path.hasPrefix("/contracts/"), "\(made.status) \(made.text.prefix(300))")
            let page = try await send(app, .GET, path, headers: ["Cookie": cookie])
            #expect(page.text.contains("10,000.00") && page.text.contains("href=\"\(path)/edit\"") && page.text.contains("actions/withdraw"))
            #expect(page.text.contains("<td>24</td>"), "the line's own limit is shown")

            // The edit form holds the draft: its row, both checks (one failed), two empty rows more.
            let form = try await send(app, .GET, path + "/edit", headers: ["Cookie": cookie])
            #expect(form.status == .ok && form.text.contains("action=\"\(path)/edit\"") && form.text.contains("value=\"施工巡查合同\""))
            #expect(form.text.components(separatedBy: "name=\"matter[]\"").count - 1 == 3)
            #expect(form.text.contains("value=\"设备\"") && form.text.contains("<option value=\"failed\" selected>"))
            // A second matter row added, a refusal by its row keeps everything, then saved.
            var edited = base.filter { $0.0 != "_csrf" } + [("_csrf", csrf), ("matter[]", "M-SAN-01"), ("quantity[]", "0"), ("unitPriceYuan[]", ""), ("timeLimitHours[]", ""), ("priceReason[]", "")]
            edited[edited.firstIndex { $0.0 == "title" }!].1 = "施工巡查与保洁合同"
            var halfDay = edited
            halfDay[halfDay.firstIndex { $0.0 == "timeLimitHours[]" }!].1 = "半天"
            let notHours = try await send(app, .POST, path + "/edit", headers: headers, raw: encode(halfDay))
            #expect(notHours.status == .badRequest && notHours.text.contains("时限应为整数个工作小时") && notHours.text.contains("value=\"半天\""))
            let refused = try await send(app, .POST, path + "/edit", headers: headers, raw: encode(edited))
            #expect(refused.status == .badRequest && refused.text.contains("value=\"施工巡查与保洁合同\"") && refused.text.contains("<option value=\"M-SAN-01\" selected>"))
            edited[edited.lastIndex { $0.0 == "quantity[]" }!].1 = "1000"
            let saved = try await send(app, .POST, path + "/edit", headers: headers, raw: encode(edited))
            #expect(location(saved) == path, "\(saved.status) \(saved.text.prefix(300))")
            let id = try #require(UUID(uuidString: String(path.dropFirst("/contracts/".count))))
            let record = try await ContractStore(db: app.db).find(id, scope: .all)
            #expect(record.terms.title == "施工巡查与保洁合同" && record.terms.lines.map(\.matterCode) == ["M-CON-01", "M-SAN-01"])
            #expect(record.terms.qualificationChecks.map(\.passed) == [true, false] && record.terms.guaranteeFen == 1_000_000)

            // Withdrawn: kept in the history, out of the way, no longer editable.
            let withdrawn = try await send(app, .POST, path + "/actions/withdraw", headers: ["Cookie": cookie], form: ["_csrf": csrf])
            #expect(location(withdrawn) == path || withdrawn.status == .ok, "\(withdrawn.status)")
            #expect(try await ContractStore(db: app.db).find(id, scope: .all).state == .withdrawn)
            #expect(try await send(app, .GET, path + "/edit", headers: ["Cookie": cookie]).status == .conflict)

            // An amendment of the demo's contract opens as its form; withdrawn, the list shows the version in force.
            let demo = try #require(try await ContractStore(db: app.db).list(scope: .all).first { $0.number == DemoDistrict.contractNumber(streetCode: "440309002") })
            let amended = try await send(app, .POST, "/contracts/\(demo.id)/amend", headers: ["Cookie": cookie], form: ["_csrf": csrf])
            #expect(location(amended).hasSuffix("/edit"), "\(location(amended))")
            let amendment = String(location(amended).dropLast("/edit".count))
            #expect(try await send(app, .GET, location(amended), headers: ["Cookie": cookie]).text.contains("v2"))
            _ = try await send(app, .POST, amendment + "/actions/withdraw", headers: ["Cookie": cookie], form: ["_csrf": csrf])
            let listed = try #require(try await ContractStore(db: app.db).list(scope: .all).first { $0.number == demo.number })
            #expect(listed.state == .active && listed.version == demo.version)
        }
    }

    /// Under review, the steward's dispatcher sees the countersign form; then another officer of the street, not the
    /// one who submitted, sees the sign form.
    @Test func theContractPageOffersEachSignatureToItsSigner() async throws {
        try await withTestApp { app in
            let minzhi = try await token(app, "street-minzhi")
            let body: [String: Any] = [
                "title": "保洁合同", "steward": DemoDistrict.stewardCode, "procurement": "directEntrustment", "areas": [ContractsTests.village],
                "lines": [["matterCode": "M-CON-01", "quantity": 2]], "start": "2027-01-01", "end": "2027-12-31", "rightsAndDuties": "按月结算。",
                "breachLiability": "扣款。", "guaranteeText": "兜底。", "guaranteeFen": 0,
                "qualificationChecks": [["item": "资质", "passed": true, "checker": "街道办", "date": "2027-12-01"]]]
            let made = try await send(app, .POST, "/api/v1/contracts", headers: bearer(minzhi), json: body)
            let id = try #require((made.json["contract"] as? [String: Any])?["id"] as? String)
            let submitted = try await send(app, .POST, "/api/v1/contracts/\(id)/actions/submit", headers: bearer(minzhi), json: [:])
            #expect(submitted.status == .ok, Comment(rawValue: submitted.text))
            let (drafter, _) = try await webLogin(app, "street-minzhi")
            let (dispatcher, _) = try await webLogin(app, "steward-dispatch")
            let (lead, _) = try await webLogin(app, "street-minzhi-lead")
            #expect(!(try await send(app, .GET, "/contracts/\(id)", headers: ["Cookie": drafter]).text.contains("id=\"act-sign\"")))
            let stewardPage = try await send(app, .GET, "/contracts/\(id)", headers: ["Cookie": dispatcher])
            #expect(stewardPage.text.contains("id=\"act-countersign\"") && !stewardPage.text.contains("id=\"act-return\""))
            let signed = try await send(app, .POST, "/contracts/\(id)/actions/countersign", headers: ["Cookie": dispatcher], form: ["_csrf": try #require(stewardPage.csrfToken)])
            #expect(signed.status == .seeOther || signed.status == .found || signed.status == .ok, "\(signed.status)")
            #expect(!(try await send(app, .GET, "/contracts/\(id)", headers: ["Cookie": drafter]).text.contains("id=\"act-sign\"")), "not the drafter's")
            let leadPage = try await send(app, .GET, "/contracts/\(id)", headers: ["Cookie": lead])
            #expect(leadPage.text.contains("id=\"act-sign\"") && leadPage.text.contains("管家调度中心"), "the countersignature in the history")
        }
    }

    /// The street office records a village's takeover mode on the village's page; a refusal keeps what was typed.
    @Test func theTakeoverModeIsRecordedOnTheVillagesPage() async throws {
        try await withTestApp { app in
            let village = try #require(try await AreaStore(db: app.db).find(code: ContractsTests.village))
            let path = "/areas/\(village.id.uuidString.lowercased())"
            let before = try #require(try await ContractStore(db: app.db).takeover(villageID: village.id))
            let (street, _) = try await webLogin(app, "street-minzhi")
            let page = try await send(app, .GET, path, headers: ["Cookie": street])
            #expect(page.text.contains("action=\"\(path)/takeover\"") && page.text.contains("<option value=\"\(before.mode.rawValue)\" selected>"))
            let csrf = try #require(page.csrfToken)
            let refused = try await send(app, .POST, path + "/takeover?lang=en", headers: ["Cookie": street],
                                         form: ["_csrf": csrf, "mode": "merger", "since": "2026-03-01", "formerCompany": "", "note": "兼并"])
            #expect(refused.status == .badRequest && refused.text.contains("id=\"takeover-former-error\"") && refused.text.contains("value=\"兼并\""))
            #expect(refused.text.contains("<option value=\"merger\" selected>"))
            let saved = try await send(app, .POST, path + "/takeover", headers: ["Cookie": street],
                                       form: ["_csrf": csrf, "mode": "merger", "since": "2026-03-01", "formerCompany": "松仔园物业公司", "note": "兼并"])
            #expect(saved.location == path)
            let after = try #require(try await ContractStore(db: app.db).takeover(villageID: village.id))
            #expect(after.mode == .merger && after.formerCompany == "松仔园物业公司" && after.contracts == before.contracts, "the contracts kept")
            // Another street's officer sees no form and cannot post one.
            let (guanlan, _) = try await webLogin(app, "street-guanlan")
            #expect(try await send(app, .POST, path + "/takeover", headers: ["Cookie": guanlan],
                                   form: ["_csrf": try #require(try await send(app, .GET, "/", headers: ["Cookie": guanlan]).csrfToken), "mode": "fullTakeover", "since": "2026-03-01"]).status == .notFound)
        }
    }
}
