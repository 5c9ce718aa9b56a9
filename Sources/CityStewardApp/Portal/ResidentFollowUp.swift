import CityStewardCore
import CityStewardStore
import Foundation
import Fluent
import SQLKit
import Vapor

/// The reporter's rating of a closed case: an event on the case (so its history and `updated_datetime` show it)
/// and the score on the resident's follow-up row, in one transaction, at most once.
struct ResidentFollowUp {
    let db: any Database

    init(request: Request) {
        db = request.db
    }

    static let alreadyRated = DomainError.conflict(LocalizedText(zh: "您已评价过该案件", en: "you have already rated this case"))

    func rate(_ row: CaseRow, rating: Int, comment: String?, now: Date) async throws {
        let store = CaseStore(db: db)
        let change = ResidentFeedback.rated(row.case, rating: rating, comment: comment, now: now)
        let seq = try await store.nextEventSeq(of: row.id)
        let caseID = row.id
        let won: CaseRow?
        do {
            won = try await store.save(change, seq: seq, expectedRevision: row.revision, also: {
                try await ResidentReportStore.rate(caseID: caseID, rating: rating, comment: comment, at: now, on: $0)
            })
        } catch is ResidentReportStore.Refused {
            throw Self.alreadyRated
        }
        guard won != nil else { throw Self.alreadyRated }
    }
}
