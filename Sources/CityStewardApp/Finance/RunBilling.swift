import CityStewardCore
import CityStewardStore
import FluentKit
import Foundation
import Vapor

/// A contract's bill for a period, from its versions in force and the facts in the case records.
struct RunBilling {
    let db: any Database
    let reference: CaseReference

    static var inForce: Set<ContractState> { Billing.inForce }

    /// The statement (not saved): Core's `Billing.statement` over every version of the contract, with the period's
    /// facts from the case records and spot checks, and — for a contract with a payment coefficient — its villages'
    /// assessment score for the period (`score`, nil where there is none to ask).
    func statement(_ contract: ContractRecord, period: BillingPeriod, now: Date,
                   score: (([String], LocalDate, LocalDate) async throws -> AssessedPeriodScore?)? = nil) async throws -> (BillingStatement, BillingFacts) {
        let versions = try await ContractStore(db: db).versions(number: contract.number).map(\.asVersion)
        let found = try await FinanceStore(db: db).facts(contract: contract.number, from: period.first.beijingMidnight, to: period.endExclusive.beijingMidnight, now: now)
        let matterOf = Dictionary(reference.taxonomy.categories.compactMap { c in c.matter.map { (c.code, $0) } }, uniquingKeysWith: { a, _ in a })
        var facts = BillingFacts()
        for (code, n) in found.overdue { facts.overdueCases[matterOf[code] ?? "—", default: 0] += n }
        for (code, n) in found.failed { facts.failedVerifications[matterOf[code] ?? "—", default: 0] += n }
        for (code, n) in found.spotChecks { facts.failedSpotChecks[matterOf[code] ?? "—", default: 0] += n }
        if let score, let last = versions.last(where: { Billing.inForce.contains($0.state) && $0.terms.start < period.endExclusive }), last.terms.performance != nil {
            // The score over the days of the period the contract covered, within one assessment year.
            let from = max(period.first, last.terms.start), through = min(period.endExclusive.adding(days: -1), last.terms.end)
            if from <= through, from.year == through.year { facts.assessment = try await score(last.terms.areas, from, through) }
        }
        let names = Dictionary(uniqueKeysWithValues: reference.taxonomy.matters.map { ($0.code, LocalizedText(zh: $0.name, en: $0.nameEn)) })
        guard let statement = Billing.statement(versions: versions, period: period, facts: facts, matterNames: names) else {
            throw DomainError.conflict(zh: "合同尚未生效，不能结算", en: "the contract has not taken effect; there is nothing to bill")
        }
        return (statement, facts)
    }
}
