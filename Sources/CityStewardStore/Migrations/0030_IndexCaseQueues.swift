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
        // Open cases only carry a step due (closed ones have none): overdue counts and the sweeper read just them.
        try await sql.raw("CREATE INDEX cases_step_due_idx ON cases (step_due) WHERE step_due IS NOT NULL").run()
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
        for name in Self.queues.map(\.name) + ["cases_reporter_place_idx", "cases_step_due_idx", "cases_supervised_idx", "cases_contract_deadline_idx", "notifications_user_idx"] {
            try await sql.drop(index: SQLIdentifier(name)).ifExists().run()
        }
    }
}
