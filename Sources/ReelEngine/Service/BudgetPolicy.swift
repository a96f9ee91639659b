import Foundation
import ReelBasics
import ReelCache
import ReelGraph
import ReelLedger
import ReelManifest

/// Budget policy before a build: the caps in force, the headroom left in the ledger, and a refusal
/// (with the numbers) when the plan's estimate does not fit.
public enum BudgetPolicy {
    /// Caps from the manifest and `--max-usd` (the lower of the run caps wins).
    public static func caps(_ budget: ReelManifest.Budget, maxUSD: Double?) -> BudgetCaps {
        let run = [budget.runMaxUSD, maxUSD].compactMap { $0 }.min()
        return BudgetCaps(campaign: budget.maxUSD, run: run, node: budget.clipMaxUSD)
    }

    /// The ledger gate when the plan calls a paid provider (`nil` for free builds).
    /// - Parameter warn: receives the refusal when `keepGoing` builds what fits anyway.
    /// - Throws: `BudgetRefusal` when the estimate exceeds the headroom (unless `keepGoing`).
    /// - Parameter openLedger: opens the ledger (a file, or the shared database); called only when
    ///   the plan can spend, so a free build never needs the database.
    static func gate(
        for plan: Plan, campaign: ResolvedCampaign, openLedger: () async throws -> any SpendLedger, ledgerExists: Bool, maxUSD: Double?,
        keepGoing: Bool, actions: any ActionCache, warn: (String) -> Void
    ) async throws -> SpendGate? {
        let needs = ProviderSetup.needs(plan, campaign: campaign)
        let paid = plan.estimatedUSD > 0 || needs.selector || needs.generator
        // Reservations an earlier build left open after recording its result are settled first
        // (even when nothing paid runs now, from a ledger that exists), from what the action records
        // say was spent. A free build never opens a shared database.
        if !paid && !ledgerExists { return nil }
        let ledger = try await openLedger()
        try await SpendRecovery.settleRecorded(ledger: ledger, campaign: campaign.campaign.id, actions: actions, now: Date())
        guard paid else { return nil }
        let gate = SpendGate(ledger: ledger, campaign: campaign.campaign.id, caps: caps(campaign.budget, maxUSD: maxUSD))
        let (committed, campaignHeadroom, runCap) = try await gate.headroom()
        // Work an interrupted run already reserved is taken over, not paid again: don't count it twice.
        let resumable = try await ledger.reserved(campaign: campaign.campaign.id, nodeKeys: plan.staleNodes.compactMap { $0.key?.hex })
        let estimate = max(0, plan.estimatedUSD - resumable)
        let limits = [campaignHeadroom.map { ("budget.max_usd", $0) }, runCap.map { ("the run cap", $0) }].compactMap { $0 }
        for (name, headroom) in limits where estimate > headroom + 1e-9 {
            let refusal = BudgetRefusal(cap: name, estimate: estimate, headroom: headroom, committed: committed)
            if keepGoing {
                warn("\(refusal); --keep-going: building what fits")
            } else {
                throw refusal
            }
        }
        return gate
    }
}

/// The plan does not fit the budget.
public struct BudgetRefusal: Error, Sendable, CustomStringConvertible {
    public let cap: String
    public let estimate: Double
    public let headroom: Double
    public let committed: Double

    public var description: String {
        String(format: "the plan is estimated at $%.2f but %@ leaves $%.2f ($%.2f already spent or reserved); "
            + "raise the cap, build fewer clips, or use --keep-going to build what fits", estimate, cap, max(0, headroom), committed)
    }
}

/// `--frozen`: CI must not spend or change the lockfile.
public enum FrozenPolicy {
    /// The reasons this plan would spend or change the lockfile (empty when it may run frozen).
    public static func problems(_ plan: Plan, workspace: Workspace) -> [String] {
        let locked = workspace.previous
        var problems: [String] = []
        if let problem = workspace.lockfileProblem {
            problems.append("the lockfile \(workspace.campaign.lockfilePath.basename) cannot be read (\(problem)); resolve the merge conflict or fix it")
        } else if !workspace.hasLockfile { problems.append("there is no lockfile (\(workspace.campaign.lockfilePath.basename)); build once without --frozen and commit it") }
        for node in plan.nodes where node.state == .stale {
            if node.estimatedUSD > 0 {
                problems.append("\(node.id) would be generated (~\(usd(node.estimatedUSD))): \(node.reason)")
            } else if let key = node.key, locked.node(node.id)?.key != key {
                problems.append("\(node.id) would change the lockfile: \(node.reason)")
            } else if node.key == nil, locked.node(node.id) == nil {
                problems.append("\(node.id) is not in the lockfile: \(node.reason)")
            }
        }
        return problems
    }
}
