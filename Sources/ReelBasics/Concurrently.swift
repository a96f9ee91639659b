/// `transform` of every item, in the items' order: the items are cut into `parts` contiguous
/// runs, each transformed in order by one task (for many small independent pieces of work, such
/// as reading 10,000 cache records, where a task per item would cost more than the item).
public func mapInParts<Item: Sendable, Result: Sendable>(
    _ items: [Item], parts: Int, _ transform: @escaping @Sendable (Item) async -> Result
) async -> [Result] {
    @Sendable func transformAll(_ run: ArraySlice<Item>) async -> [Result] {
        var results: [Result] = []
        results.reserveCapacity(run.count)
        for item in run { results.append(await transform(item)) }
        return results
    }
    let parts = max(1, min(parts, items.count))
    guard parts > 1 else { return await transformAll(items[...]) }
    let size = (items.count + parts - 1) / parts
    return await withTaskGroup(of: (Int, [Result]).self) { group in
        for part in 0..<parts {
            let run = items[(part * size)..<min(items.count, (part + 1) * size)]
            group.addTask { (part, await transformAll(run)) }
        }
        var collected = [[Result]](repeating: [], count: parts)
        for await (part, results) in group { collected[part] = results }
        return collected.flatMap { $0 }
    }
}

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
