extension Tensor {
    /// log(softmax(x)) along `axis`, composed as x - logsumexp(x), which stays finite
    /// for large logits.
    public func logSoftmax(axis: Int = -1) throws -> Tensor {
        try self.casted(to: dtype.floatingCounterpart) - logsumexp(axes: [axis], keepDims: true)
    }

    /// The softmax along `axis`: exp(x) / sum(exp(x)), computed as exp(logSoftmax(x)).
    public func softmax(axis: Int = -1) throws -> Tensor {
        try logSoftmax(axis: axis).exp()
    }
}
