/// Runs `body` for every item, at most `limit` at once, and returns when all have finished.
public func forEachConcurrently<Item: Sendable>(
    _ items: [Item], limit: Int, _ body: @escaping @Sendable (Item) async -> Void
) async {
    await withTaskGroup(of: Void.self) { group in
        var pending = items[...]
        var running = 0
        while let item = pending.popFirst() {
            if running == max(1, limit) {
                await group.next()
                running -= 1
            }
            group.addTask { await body(item) }
            running += 1
        }
    }
}
