// The umbrella module: `import Flock` gives the public API of every layer.
@_exported import FlockComm
@_exported import FlockData
@_exported import FlockML
@_exported import FlockNN
@_exported import FlockRuntime
@_exported import FlockTensor
@_exported import FlockTrain
