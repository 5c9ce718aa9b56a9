import CityStewardCore
import CityStewardStore
import Foundation
import Vapor

/// A contract as the API and the console send it: dates as `YYYY-MM-DD`, money as JSON numbers of fen (checked to
/// be whole and not negative, with the reason in the caller's language, rather than a decoding error).
struct ContractBody: Content {
    struct Line: Content {
        var matterCode: String
        var quantity: Double
        var unit: String?
        var unitPriceFen: Double?
        var priceReason: String?
        var timeLimitHours: Int?
    }

    struct Deduction: Content {
        var basis: String
        var matterCode: String?
        var amountFen: Double
        var capFen: Double?
    }

    struct Check: Content {
        var item: String
        var passed: Bool
        var checker: String
        var date: String
        var attachment: String?
    }

    struct Notice: Content {
        var date: String
        var channel: String
        var text: String
    }

    /// The payment coefficient's bands, best first: a score at or above `minimum` pays `percentAtTop` % at the
    /// band's top, less `perPointBelow` percentage points a point below it.
    struct Performance: Content {
        struct Band: Content {
            var minimum: Double
            var percentAtTop: Double
            var perPointBelow: Double?
        }
        var bands: [Band]
    }

    var title: String
    /// The street (area code); a street officer's own street when left out.
    var street: String?
    /// The steward's org code.
    var steward: String
    var procurement: String
    var areas: [String]
    var lines: [Line]
    var start: String
    var end: String
    var rightsAndDuties: String?
    var breachLiability: String?
    var deductions: [Deduction]?
    var guaranteeText: String?
    var guaranteeFen: Double?
    var qualificationChecks: [Check]?
    var notice: Notice?
    var performance: Performance?

    /// The terms, or every problem at once.
    func terms(catalog: [String: CatalogPrice], streetOffice: String) -> Result<ContractTerms, FieldProblems> {
        var problems: [FieldProblem] = []
        func day(_ text: String, _ field: String) -> LocalDate? {
            if let d = LocalDate(text) { return d }
            problems.append(FieldProblem(field: field, reason: LocalizedText(zh: "日期应为 YYYY-MM-DD", en: "a date is YYYY-MM-DD")))
            return nil
        }
        func fen(_ v: Double?, _ field: String) -> Int? {
            guard let v else { return nil }
            switch Money.fen(v, field: field) {
            case .success(let f): return f
            case .failure(let p): problems += p.problems; return nil
            }
        }
        let procurement = ProcurementMethod(rawValue: self.procurement)
        if procurement == nil {
            problems.append(FieldProblem(field: "procurement", reason: LocalizedText(zh: "采购方式应为 directEntrustment 或 singleSource",
                                                                                  en: "procurement is directEntrustment or singleSource")))
        }
        var lines: [ContractLine] = []
        for (i, l) in self.lines.enumerated() {
            let f = "lines[\(i)]"
            if l.quantity.rounded() != l.quantity || l.quantity <= 0 {
                problems.append(FieldProblem(field: f + ".quantity", reason: LocalizedText(zh: "数量应为正整数", en: "the quantity is a whole number above 0")))
            }
            let benchmark = catalog[l.matterCode]
            let price = fen(l.unitPriceFen, f + ".unitPriceFen") ?? benchmark?.benchmarkFen ?? 0
            lines.append(ContractLine(matterCode: l.matterCode, quantity: l.quantity.isFinite && l.quantity.rounded() == l.quantity ? Int(l.quantity) : 0,
                                      unit: l.unit ?? benchmark?.unit ?? "项", unitPriceFen: price, benchmarkPriceFen: benchmark?.benchmarkFen ?? price,
                                      priceReason: l.priceReason, timeLimitHours: l.timeLimitHours))
        }
        var deductions: [DeductionRule] = []
        for (i, d) in (self.deductions ?? []).enumerated() {
            let f = "deductions[\(i)]"
            guard let basis = DeductionBasis(rawValue: d.basis) else {
                problems.append(FieldProblem(field: f + ".basis", reason: LocalizedText(zh: "扣款依据应为 overdueCase、failedVerification 或 failedSpotCheck",
                                                                                     en: "the basis is overdueCase, failedVerification or failedSpotCheck")))
                continue
            }
            deductions.append(DeductionRule(basis: basis, matterCode: d.matterCode, amountFen: fen(d.amountFen, f + ".amountFen") ?? 0,
                                            capFen: fen(d.capFen, f + ".capFen")))
        }
        var checks: [QualificationCheck] = []
        for (i, c) in (qualificationChecks ?? []).enumerated() {
            if let d = day(c.date, "qualificationChecks[\(i)].date") {
                checks.append(QualificationCheck(item: c.item, passed: c.passed, checker: c.checker, date: d, attachment: c.attachment))
            }
        }
        var notice: PublicNotice?
        if let n = self.notice, let d = day(n.date, "notice.date") { notice = PublicNotice(date: d, channel: n.channel, text: n.text) }
        let start = day(self.start, "start"), end = day(self.end, "end")
        let guarantee = fen(guaranteeFen, "guaranteeFen") ?? 0
        guard problems.isEmpty, let procurement, let start, let end else { return .failure(FieldProblems(problems)) }
        return .success(ContractTerms(title: title, streetOffice: streetOffice, steward: steward, procurement: procurement, areas: areas, lines: lines,
                                      start: start, end: end, rightsAndDuties: rightsAndDuties ?? "", breachLiability: breachLiability ?? "",
                                      deductions: deductions, guaranteeText: guaranteeText ?? "", guaranteeFen: guarantee,
                                      qualificationChecks: checks, notice: notice,
                                      performance: performance.map { p in
                                          PerformancePayment(bands: p.bands.map { PaymentBand(minimum: $0.minimum, percentAtTop: $0.percentAtTop, perPointBelow: $0.perPointBelow ?? 0) })
                                      }))
    }
}
