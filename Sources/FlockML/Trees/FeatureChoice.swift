import FlockData

/// Which features a node of a tree may split on: one set for the whole tree (boosting's
/// per-tree subsample), or, for random forests, `count` drawn afresh for every node from the
/// seed, the tree and the node's number (root 0, node n's children 2n + 1 and 2n + 2).
struct FeatureChoice {
    let tree: [Bool]
    let perNode: (count: Int, seed: UInt64, tree: Int)?

    /// Every node may use the features where `usable` is true.
    init(tree usable: [Bool]) { (tree, perNode) = (usable, nil) }

    /// Every node draws `count` of `features` features.
    init(features: Int, perNode count: Int, seed: UInt64, tree: Int) {
        self.tree = [Bool](repeating: true, count: features)
        perNode = (count, seed, tree)
    }

    /// The features node `node` may use.
    func usable(node: Int) -> [Bool] {
        guard let perNode, perNode.count < tree.count else { return tree }
        var random = RandomStream(seed: perNode.seed &+ UInt64(perNode.tree) &* 0x9E37_79B9, stream: UInt64(node))
        var indices = Array(tree.indices)
        var usable = [Bool](repeating: false, count: tree.count)
        for i in 0..<perNode.count {
            indices.swapAt(i, i + random.below(tree.count - i))
            usable[indices[i]] = true
        }
        return usable
    }
}
