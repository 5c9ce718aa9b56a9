import FluentKit
import SQLKit

struct IndexCaseQueues: AsyncMigration {
    let name = "0030_index_case_queues"

    /// Each part of a scope (see `CaseStore.page`) in the queue's order, so a page is a seek and a short walk.
    static let queues: [(name: String, column: String?)] = [
        ("cases_queue_idx", nil),
        ("cases_street_queue_idx", "street_id"),
        ("cases_village_queue_idx", "village_id"),
        ("cases_responsible_queue_idx", "responsible_id"),
        ("cases_owner_queue_idx", "owner_department_id"),
        ("cases_reporter_queue_idx", "reporter_id"),
    ]
    static let scopeColumns = "street_id, village_id, responsible_id, owner_department_id, reporter_id, area_path, category_code, source, supervised"
    static let openQueue = "cases_open_queue_idx"
    /// The condition of the open cases' index, written as `CaseStore.page` writes it (SQLite uses a partial index
    /// only for a query that states its condition).
    static let openCondition = "state NOT IN ('closed', 'rejected')"
    /// Superseded by the ones above (an index on a column is served by one that begins with it).
    static let superseded = ["cases_reported_idx", "cases_owner_idx", "cases_reporter_idx", "cases_responsible_idx", "cases_state_due_idx"]

    func prepare(on db: any Database) async throws {
        guard let sql = db as? any SQLDatabase else { return }
        for q in Self.queues {
            let index = sql.create(index: SQLIdentifier(q.name)).on("cases")
            if let column = q.column { index.column(SQLIdentifier(column)) }
            try await index.column("reported_at").column("number").run()
        }
        // A caller's own reports outside its places are counted by place (CaseStore.counts).
        try await sql.create(index: "cases_reporter_place_idx").on("cases").column("reporter_id").column("area_path").run()
        // Open cases only carry a step due (closed ones have none): overdue counts and the sweeper read just them,
        // from the index alone (it holds what a scope and the queue's filters test; a few per cent of the cases).
        try await sql.raw("""
            CREATE INDEX cases_step_due_idx ON cases (step_due, state, \(unsafeRaw: Self.scopeColumns)) WHERE step_due IS NOT NULL
            """).run()
        // The open cases in the queue's order, with what a scope and the filters test: a list of open states (a
        // rare one such as suspended) walks these few per cent instead of a street's million.
        try await sql.raw("""
            CREATE INDEX \(unsafeRaw: Self.openQueue) ON cases (reported_at, number, state, step_due, \(unsafeRaw: Self.scopeColumns), id)
            WHERE \(unsafeRaw: Self.openCondition)
            """).run()
        // Rare sources (the hotline) in the queue's order.
        try await sql.create(index: "cases_source_queue_idx").on("cases").column("source").column("reported_at").column("number").run()
        // Supervised (督办) cases are few: the filter reads only them.
        try await sql.raw("CREATE INDEX cases_supervised_idx ON cases (reported_at, number) WHERE supervised").run()
        // Billing reads a contract's cases by deadline.
        try await sql.create(index: "cases_contract_deadline_idx").on("cases").column("contract_reference").column("deadline").run()
        // A user's notifications (the org's have their index already).
        try await sql.create(index: "notifications_user_idx").on("notifications").column("user_id").column("created_at").run()
        for name in Self.superseded { try await sql.drop(index: SQLIdentifier(name)).ifExists().run() }
    }

    func revert(on db: any Database) async throws {
        guard let sql = db as? any SQLDatabase else { return }
        for name in Self.queues.map(\.name) + [Self.openQueue, "cases_source_queue_idx", "cases_reporter_place_idx", "cases_step_due_idx", "cases_supervised_idx", "cases_contract_deadline_idx", "notifications_user_idx"] {
            try await sql.drop(index: SQLIdentifier(name)).ifExists().run()
        }
    }
}
