import CityStewardCore
import CityStewardStore
import Fluent
import Foundation
import Vapor

/// The year's results made public (公示, plan §10): the district office publishes every village's score under the
/// year's plan once the year is over, frozen as published, with a comment window; residents and units comment or
/// object on the public page (no login, rate-limited); the office answers or hides a comment with a reason (never
/// deletes it); after the window the result stands as final. A correction is a new version with its reason, the
/// earlier one kept and shown.
struct AssessmentResultService {
    let req: Request

    var store: AssessmentResultStore { AssessmentResultStore(db: req.db) }

    /// A plan's published results (every version) and their comments, for anyone who may see the plan.
    func results(_ planID: String) async throws -> (plan: AssessmentPlanRow, results: [AssessmentResult], comments: [AssessmentComment]) {
        let found = try await AssessmentService(req: req).plan(planID)
        return (found.plan, try await store.results(plan: found.plan.id), try await store.comments(plan: found.plan.id))
    }

    /// Publishes the year's results (or a correction of them) as they stand now, with the comment window.
    func publish(_ planID: String, opens: String, closes: String, reason: String) async throws -> AssessmentResult {
        let service = AssessmentService(req: req)
        let actor = try service.actor()
        guard AssessmentAccess.mayManage(actor) else { throw AssessmentService.forbidden }
        let found = try await service.plan(planID)
        guard found.plan.publishedAt != nil else {
            throw DomainError.conflict(zh: "方案尚未公布，不能公示结果", en: "the plan is not published: its results cannot be")
        }
        let earlier = try await store.results(plan: found.plan.id)
        let terms: ResultTerms
        switch AssessmentResultRules.validate(year: found.plan.year, opens: opens, closes: closes, reason: reason, isCorrection: !earlier.isEmpty, today: service.today) {
        case .failure(let p): throw p
        case .success(let t): terms = t
        }
        let scored = try await lines(planID, year: found.plan.year)
        let (now, who, plan, version, lines) = (req.now, actor, found.plan, scored.version, scored.lines)
        return try await req.db.writeTransaction { tx in
            let made = try await AssessmentResultStore(db: tx).publish(plan: plan, planVersion: version, from: scored.from, through: scored.through, scores: lines,
                                                                       terms: terms, by: who.user.id, at: now)
            try await AuditStore(db: tx).append(action: AuditAction.assessmentResultPublished.rawValue, subject: "assessment-plan:\(plan.id.uuidString.lowercased())",
                                                detail: "results of \(plan.year) v\(made.version), \(lines.count) villages, window \(terms.opens)–\(terms.closes)"
                                                    + (terms.reason.map { ": \($0)" } ?? ""), actorID: who.user.id, actorName: who.user.displayName, at: now)
            return made
        }
    }

    /// Every village's line of a result for the plan's whole year as the records stand, under the method's version
    /// in force (or `version`).
    func lines(_ planID: String, year: Int, version: Int? = nil) async throws -> (version: Int, from: LocalDate, through: LocalDate, lines: [PublishedScore]) {
        let scored = try await AssessmentService(req: req).scores(planID, from: LocalDate(year: year, month: 1, day: 1), through: LocalDate(year: year, month: 12, day: 31),
                                                                  version: version)
        let reference = try await req.caseReference()
        return (scored.version.number, scored.from, scored.through, scored.scores.map {
            PublishedScore(village: $0.village.code, villageName: $0.village.name, steward: $0.steward.flatMap { reference.orgs[$0]?.code }, card: $0.card,
                           rank: $0.rank, cases: $0.cases)
        })
    }

    /// The year's published plan and its results, for the public page; nil when the year has no published plan.
    func year(_ year: Int) async throws -> (plan: AssessmentPlanRow, results: [AssessmentResult], comments: [AssessmentComment])? {
        guard let plan = try await AssessmentStore(db: req.db).list(drafts: false).first(where: { $0.year == year }), plan.publishedAt != nil else { return nil }
        return (plan, try await store.results(plan: plan.id), try await store.comments(plan: plan.id))
    }

    /// A comment from the public page on the year's latest result, within its window; limited per sender.
    func comment(year: Int, kind: String, village: String, body: String, name: String) async throws -> AssessmentComment {
        guard let found = try await self.year(year), let latest = found.results.last else {
            throw DomainError.notFound(zh: "\(year) 年度没有公示中的考核结果", en: "no assessment results are on display for \(year)")
        }
        let terms: CommentTerms
        switch AssessmentResultRules.validate(kind: kind, village: village, body: body, name: name, villages: Set(latest.scores.map(\.village)),
                                              window: latest.window, now: req.now) {
        case .failure(let p): throw p
        case .success(let t): terms = t
        }
        let client = PublicRateLimiter.client(req)
        let decision = req.application.commentLimiter.take(client, now: req.now)
        guard decision.allowed else {
            throw DomainError.rateLimited(retryAfterSeconds: decision.retryAfter, LocalizedText(
                zh: "提交过于频繁，请 \(decision.retryAfter) 秒后再试", en: "too many comments; try again in \(decision.retryAfter) s"))
        }
        return try await store.add(terms, to: latest, clientHash: req.application.fieldCipher.derivedToken("comment-client", client), at: req.now)
    }

    /// Hides a comment with the reason shown in its place (district office).
    func hide(_ id: String, reason: String) async throws -> AssessmentComment {
        let (actor, comment) = try await moderated(id)
        if let p = AssessmentResultRules.validateHiding(reason: reason) { throw FieldProblems([p]) }
        let why = reason.trimmingCharacters(in: .whitespacesAndNewlines), now = req.now
        return try await req.db.writeTransaction { tx in
            let hidden = try await AssessmentResultStore(db: tx).hide(comment, reason: why, by: actor.user.id, at: now)
            try await AuditStore(db: tx).append(action: AuditAction.assessmentCommentModerated.rawValue, subject: "assessment-comment:\(comment.id.uuidString.lowercased())",
                                                detail: "hidden: \(why)", actorID: actor.user.id, actorName: actor.user.displayName, at: now)
            return hidden
        }
    }

    /// Answers a comment (district office); a later answer replaces the earlier, both in the audit trail.
    func answer(_ id: String, text: String) async throws -> AssessmentComment {
        let (actor, comment) = try await moderated(id)
        if let p = AssessmentResultRules.validateAnswer(text) { throw FieldProblems([p]) }
        let answer = text.trimmingCharacters(in: .whitespacesAndNewlines), now = req.now
        return try await req.db.writeTransaction { tx in
            let answered = try await AssessmentResultStore(db: tx).answer(comment, text: answer, by: actor.user.id, at: now)
            try await AuditStore(db: tx).append(action: AuditAction.assessmentCommentModerated.rawValue, subject: "assessment-comment:\(comment.id.uuidString.lowercased())",
                                                detail: "answered: \(answer)", actorID: actor.user.id, actorName: actor.user.displayName, at: now)
            return answered
        }
    }

    /// Re-checks an objection on the spot (an objection can become a re-check, plan §10): the district office draws a
    /// spot-check round of up to `count` grids (3 by default) in the village objected to, from today; the round is kept
    /// with the objection and shown with it, publicly. Only for an objection naming its village, once.
    func recheck(_ id: String, count: Int?) async throws -> (comment: AssessmentComment, round: SpotCheckRoundRow) {
        let (actor, comment) = try await moderated(id)
        guard comment.kind == CommentKind.objection.rawValue, let code = comment.village else {
            throw DomainError.refused("comment", zh: "只有针对某村得分的异议可以安排现场复查", en: "only an objection to a village's score can be re-checked on the spot")
        }
        guard comment.recheckRoundId == nil else { throw DomainError.conflict(zh: "这条异议已安排复查", en: "a re-check is already arranged for this objection") }
        let reference = try await req.caseReference()
        let name = reference.areasByCode[code]?.name ?? code
        let grids = reference.areas.values.filter { g in g.kind == .grid && reference.areasByCode[code].map { g.path.contains($0.id) } == true }.count
        let wanted = count ?? min(3, max(1, grids))
        let (who, now) = (actor, req.now)
        let drawn = try await SpotCheckService(req: req).draw(title: "异议复查：\(name)", placeType: SpotCheckPlaceType.street.rawValue, area: code, count: wanted,
                                                              day: LocalDate.beijing(now)) { tx, round in
            try await AssessmentResultStore(db: tx).recheck(comment, round: round.id)
            try await AuditStore(db: tx).append(action: AuditAction.assessmentCommentModerated.rawValue, subject: "assessment-comment:\(comment.id.uuidString.lowercased())",
                                                detail: "re-check: spot-check round \(round.code) in \(code)", actorID: who.user.id, actorName: who.user.displayName, at: now)
        }
        return (try await store.comment(comment.id), drawn.round)
    }

    private func moderated(_ id: String) async throws -> (Actor, AssessmentComment) {
        let actor = try AssessmentService(req: req).actor()
        guard AssessmentAccess.mayManage(actor) else { throw AssessmentService.forbidden }
        guard let uuid = UUID(uuidString: id) else { throw AssessmentResultStore.commentNotFound }
        return (actor, try await store.comment(uuid))
    }
}

extension Application {
    private struct CommentLimiterKey: StorageKey { typealias Value = PublicRateLimiter }

    /// Comments on published results: a few at once, then one a minute per sender.
    var commentLimiter: PublicRateLimiter {
        get { storage[CommentLimiterKey.self]! }
        set { storage[CommentLimiterKey.self] = newValue }
    }
}
