import CityStewardCore
import CityStewardStore
import FluentKit
import Foundation
import Vapor

/// A contract's bill for a period, from its versions in force and the facts in the case records.
struct RunBilling {
    let db: any Database
    let reference: CaseReference

    static let inForce: Set<ContractState> = [.active, .superseded, .expired, .terminated]

    /// The statement (not saved): each version's terms clipped to the days it was in force (up to the next version's
    /// start, its termination, its end); deductions once, by the rules of the last version in force in the period.
    func statement(_ contract: ContractRecord, period: BillingPeriod, now: Date) async throws -> (BillingStatement, BillingFacts) {
        let versions = try await ContractStore(db: db).versions(number: contract.number).filter { Self.inForce.contains($0.state) }.sorted { $0.version < $1.version }
        guard !versions.isEmpty else {
            throw DomainError.conflict(zh: "合同尚未生效，不能结算", en: "the contract has not taken effect; there is nothing to bill")
        }
        let found = try await FinanceStore(db: db).facts(contract: contract.number, from: period.first.beijingMidnight, to: period.endExclusive.beijingMidnight, now: now)
        let matterOf = Dictionary(reference.taxonomy.categories.compactMap { c in c.matter.map { (c.code, $0) } }, uniquingKeysWith: { a, _ in a })
        var facts = BillingFacts()
        for (code, n) in found.overdue { facts.overdueCases[matterOf[code] ?? "—", default: 0] += n }
        for (code, n) in found.failed { facts.failedVerifications[matterOf[code] ?? "—", default: 0] += n }
        let names = Dictionary(uniqueKeysWithValues: reference.taxonomy.matters.map { ($0.code, LocalizedText(zh: $0.name, en: $0.nameEn)) })
        var parts: [BillingStatement] = []
        let lastInPeriod = versions.last { $0.terms.start < period.endExclusive }
        for (i, v) in versions.enumerated() {
            var t = v.terms
            if i + 1 < versions.count { t.end = min(t.end, versions[i + 1].terms.start.adding(days: -1)) }
            if let stop = v.terminatedOn { t.end = min(t.end, stop.adding(days: -1)) }
            guard t.start <= t.end else { continue }
            let isLast = v.id == lastInPeriod?.id
            if !isLast { t.deductions = [] }
            parts.append(Billing.compute(t, period: period, facts: isLast ? facts : BillingFacts(), matterNames: names))
        }
        return (BillingStatement.merged(parts, period: period), facts)
    }
}
