import FlockTensor

extension Variable {
    /// e^x.
    public func exp() -> Variable {
        let y = value.exp()
        return Variable.record("exp", y, inputs: [self]) { g in [try g * y] }
    }

    /// Natural logarithm.
    public func log() -> Variable {
        let x = value
        return Variable.record("log", x.log(), inputs: [self]) { g in [try g / x] }
    }

    /// Square root.
    public func sqrt() -> Variable {
        let y = value.sqrt()
        return Variable.record("sqrt", y, inputs: [self]) { g in [try g / (y * 2)] }
    }

    /// Hyperbolic tangent: d/dx = 1 - tanh².
    public func tanh() -> Variable {
        let y = value.tanh()
        return Variable.record("tanh", y, inputs: [self]) { g in [try g * (1 - (try y * y))] }
    }

    /// Logistic sigmoid: d/dx = s (1 - s).
    public func sigmoid() -> Variable {
        let s = value.sigmoid()
        return Variable.record("sigmoid", s, inputs: [self]) { g in [try g * s * (1 - s)] }
    }

    /// max(x, 0): the gradient passes where x > 0.
    public func relu() -> Variable {
        let x = value
        return Variable.record("relu", x.relu(), inputs: [self]) { g in
            [try g * (x .> 0).casted(to: g.dtype)]
        }
    }

    /// Exact GELU: d/dx = Φ(x) + x φ(x), with Φ the standard normal CDF and φ its density.
    public func gelu() -> Variable {
        let x = value
        return Variable.record("gelu", x.gelu(), inputs: [self]) { g in
            let cdf = ((x * 0.7071067811865476).erf() + 1) * 0.5
            let density = ((try x * x) * -0.5).exp() * 0.3989422804014327
            return [try g * (cdf + (try x * density))]
        }
    }

    /// log(1 + e^x): d/dx = sigmoid(x).
    public func softplus() -> Variable {
        let x = value
        return Variable.record("softplus", x.softplus(), inputs: [self]) { g in [try g * x.sigmoid()] }
    }

    /// x raised to a scalar power: d/dx = p x^(p-1).
    public func pow(_ exponent: Double) -> Variable {
        let x = value
        return Variable.record("pow", x.pow(exponent), inputs: [self]) { g in
            [try g * (x.pow(exponent - 1) * exponent)]
        }
    }
}
