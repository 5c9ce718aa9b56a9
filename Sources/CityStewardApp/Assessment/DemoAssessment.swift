import CityStewardCore
import CityStewardStore
import Foundation
import Vapor

/// The demo's assessment plans (once, when there is none): last year's, published before that year began and
/// corrected once with its reason, and this year's, published before this year began — both on the district's
/// standard method, so this year's scores move with the demo's cases. Synthetic.
enum DemoAssessment {
    @discardableResult
    static func load(_ app: Application) async throws -> Bool {
        let store = AssessmentStore(db: app.db)
        guard try await store.list(drafts: true).isEmpty,
              let admin = try await DirectoryStore(db: app.db).user(username: "district-admin") else { return false }
        let year = LocalDate.beijing(app.clock.now).year
        func at(_ y: Int, _ m: Int, _ d: Int) -> Date { LocalDate(year: y, month: m, day: d).beijingMidnight.addingTimeInterval(10 * 3600) }
        let last = try await store.create(AssessmentPlanTerms(year: year - 1, name: "\(year - 1) 年度城市管家考核", method: .standard), by: admin.id, at: at(year - 2, 12, 1))
        let published = try await store.publish(last, by: admin.id, at: at(year - 2, 12, 20))
        var corrected = AssessmentMethod.standard
        corrected.indicators[1].children[1].bands[0].threshold = 4.6
        _ = try await store.change(published, to: AssessmentPlanTerms(year: year - 1, name: published.name, method: corrected),
                                   reason: "平均满意度满分线按街道意见由 4.5 调为 4.6", by: admin.id, at: at(year - 1, 3, 1))
        let this = try await store.create(AssessmentPlanTerms(year: year, name: "\(year) 年度城市管家考核", method: .standard), by: admin.id, at: at(year - 1, 12, 1))
        _ = try await store.publish(this, by: admin.id, at: at(year - 1, 12, 20))
        return true
    }
}
