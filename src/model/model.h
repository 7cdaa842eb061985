// Model: a DAG of layers (Keras' functional Model; Sequential is a chain), built from a
// Keras-like JSON config. It owns the layers, one ParamStore, the loss/optimizer set up by
// compile(), and the training workspace (batch tensors, one gradient buffer per node output),
// which is reused batch after batch: after the first batch training allocates nothing.
//
//   auto model = std::make_unique<Model>(config, seed);
//   model->compile({{"optimizer", "adam"}, {"loss", "mse"}, {"metrics", {"accuracy"}}});
//   History h = model->fit({x}, {y}, {.epochs = 10, .batchSize = 32, .validationSplit = 0.2});
//
// JS cannot block inside fit(), so training is also available one batch at a time through a
// FitSession (beginFit / step); fit() is a loop over one.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/json.h"
#include "core/random.h"
#include "core/tensor.h"
#include "layers/layer.h"
#include "layers/param.h"
#include "loss/loss.h"
#include "optim/optimizer.h"

namespace attn {

constexpr uint64_t kDefaultModelSeed = 0x5eed;
// Models larger than this (in float parameters, 1 GiB) are refused before any allocation.
constexpr int64_t kMaxModelParameters = int64_t(1) << 28;
// A per-sample input or layer output larger than this (in floats, 256 MiB) is refused when the
// model is built, so a hostile config cannot make the first batch exhaust memory.
constexpr int64_t kMaxSampleValues = int64_t(1) << 26;

// Named values in a fixed order ("loss", "accuracy", "val_loss", ...). After the names are set
// up, updating values allocates nothing.
struct Logs {
  std::vector<std::string> names;
  std::vector<double> values;
  bool has(const std::string& name) const;
  double at(const std::string& name) const;  // throws attn::Error for an unknown name
  void set(const std::string& name, double value);
};

// Per-epoch values under Keras' keys: loss, accuracy, val_loss, val_accuracy, <output>_loss...
struct History {
  std::vector<std::string> keys;
  std::vector<std::vector<double>> values;  // values[k][epoch]
  const std::vector<double>& at(const std::string& key) const;  // throws for an unknown key
  bool has(const std::string& key) const;
  int epochs() const { return values.empty() ? 0 : static_cast<int>(values[0].size()); }
  // Keras' History as JSON: {"epoch": [0, 1, ...], "history": {"loss": [...], ...}}.
  Json toJson() const;
};

struct FitCallbacks {
  // `logs` hold the running means of the epoch so far. Set model.stopTraining = true to stop.
  std::function<void(int batch, const Logs& logs)> onBatchEnd;
  // `logs` hold the epoch's means, with val_* entries when there is validation data.
  std::function<void(int epoch, const Logs& logs)> onEpochEnd;
};

struct FitOptions {
  int epochs = 1;
  int batchSize = 32;
  double validationSplit = 0.0;  // the last fraction of the samples (before shuffling), as Keras
  std::vector<Tensor> validationXs, validationYs;  // validationData; overrides validationSplit
  bool shuffle = true;
  std::optional<uint64_t> seed;  // shuffling and dropout; absent: drawn from the model's Rng
  // Keras' sample_weight: per output, one weight per sample ((N) or (N, 1)); each sample's loss is
  // multiplied by it and the batch loss stays a mean over the batch's samples.
  std::vector<Tensor> sampleWeights;
  // Keras' class_weight (one-output models): class id -> weight, 1 for classes not listed; the
  // class of a sample is its target's argmax, or its rounded value for a single column.
  std::map<int, float> classWeight;
  FitCallbacks callbacks;
};

struct FitProgress {
  int epoch = 0;            // 0-based epoch of the batch just run
  int batch = 0;            // 0-based batch within the epoch
  int batchesPerEpoch = 0;
  int samplesSeen = 0;      // training samples of this epoch run so far, this batch included
  double batchLoss = 0;     // this batch's loss (regularization included)
  bool epochEnded = false;  // this batch ended its epoch: epochLogs is set
  bool done = false;        // no more steps (last epoch ended, or stopped)
  const Logs* batchLogs = nullptr;  // running means of the epoch so far
  const Logs* epochLogs = nullptr;  // when epochEnded: the epoch's logs, val_* included
};

struct NamedTensor {
  std::string name;
  Tensor value;
};

struct LayerInfo {
  std::string name;
  std::string type;  // Keras class name
  std::vector<Shape> outputShapes;  // per sample
  int64_t params = 0;
  bool attention = false;  // reports attention weights (getAttention)
};

class Model;

// One fit in progress. Holds its own copy of the data (moved in by beginFit), the shuffled
// order and the epoch's running metrics; every step() trains one batch. The model must outlive
// the session; other calls on the model (predict, getWeights) may be made between steps.
class FitSession {
 public:
  FitSession(const FitSession&) = delete;
  FitSession& operator=(const FitSession&) = delete;

  // Trains one batch; at the end of an epoch also evaluates the validation data. After done,
  // further calls return {done: true} and do nothing.
  FitProgress step();
  // Abort: no further batches; the history keeps the epochs completed so far.
  void stop() { done_ = true; }
  bool done() const { return done_; }
  const History& history() const { return history_; }
  int epochs() const { return epochs_; }
  int batchesPerEpoch() const { return batchesPerEpoch_; }
  int trainSamples() const { return trainCount_; }
  int validationSamples() const { return valCount_; }

 private:
  friend class Model;
  FitSession(Model& model, std::vector<Tensor> xs, std::vector<Tensor> ys, FitOptions options);
  void startEpoch();
  void finishEpoch();

  Model& model_;
  std::vector<Tensor> xs_, ys_, valXs_, valYs_;
  std::vector<Tensor> sampleWeights_;  // per output (N); empty: unweighted
  int trainCount_ = 0, valCount_ = 0, batchSize_ = 32, epochs_ = 1, batchesPerEpoch_ = 0;
  bool shuffle_ = true;
  Rng shuffleRng_, dropoutRng_;
  std::vector<int> order_;
  int epoch_ = 0, batch_ = 0;
  int compileGeneration_ = 0;
  bool done_ = false;
  std::vector<double> trainTotals_, trainWeights_, valTotals_, valWeights_;
  Logs batchLogs_, epochLogs_;
  History history_;
};

class Model {
 public:
  // From {"className": "Sequential" | "Model", "config": {...}} (see README / API.md). Builds
  // every layer (shape inference, clear errors naming the layer) and initializes the
  // parameters from `seed`. Configs declaring more than `parameterLimit` parameters are refused.
  explicit Model(const Json& config, uint64_t seed = kDefaultModelSeed,
                 int64_t parameterLimit = kMaxModelParameters)
      : Model(config, seed, parameterLimit, nullptr) {}
  ~Model();
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  const std::string& name() const { return name_; }
  Json toConfig() const;

  // {optimizer: 'adam' | {type, ...} (default rmsprop), loss: name | [name per output] |
  //  {outputName: name}, metrics: ['accuracy', 'mse', 'mae']}. Resets the optimizer state.
  void compile(const Json& options);
  bool compiled() const { return optimizer_ != nullptr; }
  Json compileConfig() const;  // null before compile
  Optimizer* optimizer() { return optimizer_.get(); }

  // Data: one tensor per model input / output, first dimension = samples.
  History fit(std::vector<Tensor> xs, std::vector<Tensor> ys, FitOptions options = {});
  std::unique_ptr<FitSession> beginFit(std::vector<Tensor> xs, std::vector<Tensor> ys, FitOptions options = {});
  bool stopTraining = false;  // set by a callback to end fit() after the current batch

  std::vector<Tensor> predict(const std::vector<Tensor>& xs, int batchSize = 32);
  Logs evaluate(const std::vector<Tensor>& xs, const std::vector<Tensor>& ys, int batchSize = 32);
  // One batch; the logs stay valid until the next call (a call per batch allocates nothing once
  // the first has run).
  const Logs& trainOnBatch(const std::vector<Tensor>& xs, const std::vector<Tensor>& ys);

  // Output `outputIndex` of the named layer for every sample, as Keras' get_activations.
  Tensor getActivations(const std::vector<Tensor>& xs, const std::string& layerName, int outputIndex = 0,
                        int batchSize = 32);
  // The attention weights of the named layer (empty: the only layer that has any) for every sample.
  Tensor getAttention(const std::vector<Tensor>& xs, const std::string& layerName = "", int batchSize = 32);

  // Keras' order: every trainable weight in layer order, then every non-trainable one.
  std::vector<NamedTensor> getWeights() const;
  // By position (getWeights() order); shapes must match, and each name, where given, must name
  // that weight (weightNameMatches: the library's, TF.js' or Keras' spelling).
  void setWeights(const std::vector<NamedTensor>& weights);

  std::string summary() const;
  int64_t countParams() const { return params_.totalSize(); }
  std::vector<LayerInfo> layers() const;
  Layer* layer(const std::string& name);  // null when absent
  ParamStore& params() { return params_; }

  int inputCount() const { return static_cast<int>(inputNodes_.size()); }
  int outputCount() const;
  Shape inputShape(int i) const;   // per sample
  const std::string& inputName(int i) const;
  Shape outputShape(int i) const;  // per sample

 private:
  friend class FitSession;
  struct Node;
  struct OutputSlot;
  enum class MetricKind { Accuracy, Mse, Mae };

  void buildSequential(const Json& config);
  void buildFunctional(const Json& config);
  void buildNodes(std::vector<std::unique_ptr<Node>> nodes);
  int nodeIndex(const std::string& name) const;

  // valuesOf: builds a data-parallel replica of that model, reading its trainable weights in
  // place (no value block or initialization of its own).
  Model(const Json& config, uint64_t seed, int64_t parameterLimit, Model* valuesOf);
  void checkCompiled(const char* entry) const;
  int checkData(const char* entry, const std::vector<Tensor>& xs, const std::vector<Tensor>* ys) const;
  // Copies rows order[start, start + count) (or start.. when order is null) into the batch tensors;
  // with sampleWeights, the batch's weights too (the loss is then weighted).
  void gatherBatch(const std::vector<Tensor>& xs, const std::vector<Tensor>* ys, const int* order, int start,
                   int count, const std::vector<Tensor>* sampleWeights = nullptr);
  void forward(bool training, Rng* rng);
  // Forward (+ backward and an optimizer step when training) on the batch tensors; adds the
  // batch's loss and metrics into totals/weights (in metricNames_ order). Returns the batch loss.
  // Training stops with an error when the loss or a gradient is not finite, before the optimizer
  // step, with the non-trainable state (moving statistics) restored: the weights stay as they
  // were before the batch. `at` (fit only) names the epoch and batch in that error.
  double runBatch(bool training, Rng* rng, std::vector<double>& totals, std::vector<double>& weights,
                  const FitProgress* at = nullptr);
  [[noreturn]] void failNonFinite(const FitProgress* at, const char* what, const std::string& detail);
  // The loss input of output o over the last forward pass.
  LossInput lossInput(size_t o);
  // Each output's loss (into outputLosses; divided by normalizers[o] when given, else its mean),
  // the metrics into totals/weights, and when training the backward pass into the gradients.
  void lossAndBackward(bool training, std::vector<double>& outputLosses, std::vector<double>& totals,
                       std::vector<double>& weights, const std::vector<double>* normalizers);
  // Data-parallel training (threads() > 1): the batch is cut into one shard per thread (or into
  // setFixedShards' count, on any number of threads), each run forward and backward by a
  // replica of this model on the pool; the replicas' gradients, losses and metrics are summed in
  // shard order, so a seed and a shard count give the same weights every time. Models with
  // non-trainable state (BatchNormalization's moving statistics couple the batch) and batches
  // smaller than two samples per shard train unsharded.
  // predict(), getActivations() and getAttention() shard their batches the same way
  // (forwardInBatches: the same numbers on every run for a thread count, one thread's to
  // rounding), and so do evaluate() and fit's validation (forward and loss per shard, summed in
  // shard order).
  int shardsFor(int batch) const;
  // The first `shards` replicas, made on first use; `compiled`: compiled as this model is now.
  void prepareReplicas(int shards, bool compiled);
  // Inference over `samples` rows of xs in batches of batchSize, each batch cut into shardsFor's
  // shards and run forward on the replicas. After a batch, `collect(ran, start, count)` is called
  // once per shard, in row order and on the calling thread, with the model (this one or a
  // replica) whose nodes hold the results for rows [start, start + count). A replica is built
  // from this model's config: its nodes and outputs sit at this model's indices.
  void forwardInBatches(const std::vector<Tensor>& xs, int samples, int batchSize,
                        const std::function<void(const Model& ran, int start, int count)>& collect);
  // The outputs of the last forward pass into rows [start, start + batch) of `out` (predict's).
  void copyOutputs(std::vector<Tensor>& out, int start) const;
  // One batch on `shards` replicas; `training`: also backward, the gradients summed into the model's.
  void runShards(bool training, int shards, Rng* rng, std::vector<double>& outputLosses,
                 std::vector<double>& totals, std::vector<double>& weights);
  // values[offset + i] = metric i's mean: its total over its weight (0 before any weight).
  void writeMeans(const std::vector<double>& totals, const std::vector<double>& weights, std::vector<double>& values,
                  size_t offset = 0) const;
  // `logs` under the metric names with the means of totals / weights, rewritten in place (names
  // only when they changed), so that a call per batch allocates nothing.
  void writeLogs(const std::vector<double>& totals, const std::vector<double>& weights, Logs& logs) const;

  std::string name_;
  bool sequential_ = false;
  std::vector<std::unique_ptr<Node>> nodes_;  // in topological order
  std::vector<int> inputNodes_;               // node index of each model input
  std::vector<std::pair<int, int>> outputRefs_;
  std::vector<OutputSlot> outputs_;
  ParamStore params_;
  Rng rng_;  // default fit seeds and trainOnBatch dropout

  std::unique_ptr<Optimizer> optimizer_;  // a replica's holds no state: it never steps
  bool replica_ = false;                  // built by prepareReplicas, reading another model's weights
  Json compileConfig_;
  std::vector<std::string> metricNames_;  // "loss", ["<out>_loss"...], metrics...
  int compileGeneration_ = 0;             // bumped by compile(): a running FitSession then refuses to step

  struct Shard;
  std::vector<std::unique_ptr<Shard>> shards_;  // replicas for data-parallel training and predict
  std::vector<double> outputLosses_;           // per output, of the running batch
  std::vector<double> lossNormalizers_;        // per output, the sharded batch's loss row weights

  std::vector<double> onBatchTotals_, onBatchWeights_;  // trainOnBatch's metric sums
  Logs onBatchLogs_;                                    // trainOnBatch's result
  std::vector<Tensor> batchInputs_, batchTargets_, batchSampleWeights_;
  bool batchWeighted_ = false;  // the batch carries sample weights
  Tensor stateSnapshot_;  // non-trainable values before the running training batch (sized once)
};

// Data-parallel training (see Model::shardsFor) gives each shard at least `work`, counted as
// trainable weights x samples x time steps (default 6e4: below it, waking a thread costs more than
// the shard saves), so a step of less than twice that stays whole. 0 shards every batch of two
// samples or more per thread (tests). Returns the previous value.
double setMinimumShardWork(double work);
// Shards per batch: 0 (the default) cuts a batch into one shard per thread; k >= 1 into k shards
// whatever the thread count (run round-robin on the threads, in fixed order), so that training,
// predict, evaluate, getActivations and getAttention give the same numbers to the bit on any
// number of threads. Throws unless k is a whole number in [0, 64]. Returns the previous value.
int setFixedShards(double shards);
int fixedShards();

// ---- building functional models in C++, mirroring the JS API -------------------------------
//   auto x = attn::input({20, 1});
//   auto h = attn::layers::apply("dense", {{"units", 8}, {"activation", "relu"}}, x);
//   auto y = attn::layers::apply("dense", {{"units", 1}}, h);
//   auto model = attn::functionalModel({x}, {y});
struct SymbolicNode;
struct SymbolicTensor {
  std::shared_ptr<const SymbolicNode> node;
  int index = 0;
  Shape shape;  // per sample
};
SymbolicTensor input(const Shape& shape, const std::string& name = "");
// aw.input()'s options {shape, name, dtype ('float32' | 'int32')}: unknown keys refused, the shape
// checked by the rule model configs use. Returns the per-sample shape.
Shape inputOptions(const Json& options);
namespace layers {
// Creates and builds the layer on the inputs' shapes now, so shape errors surface at apply time.
std::vector<SymbolicTensor> applyMulti(const std::string& type, const Json& options,
                                       const std::vector<SymbolicTensor>& inputs);
SymbolicTensor apply(const std::string& type, const Json& options, const std::vector<SymbolicTensor>& inputs);
SymbolicTensor apply(const std::string& type, const Json& options, const SymbolicTensor& x);
}  // namespace layers
// The {"className": "Model", ...} config of the graph between inputs and outputs.
Json functionalConfig(const std::vector<SymbolicTensor>& inputs, const std::vector<SymbolicTensor>& outputs,
                      const std::string& name = "model");
// The same from a recorded graph, as the JS API sends it: {"name", "nodes": [{"className",
// "config" (options, "name" when given), "shape" (inputs), "inbound": [[node, output], ...]}],
// "inputs": [[node, 0], ...], "outputs": [[node, output], ...]}, nodes in any order: the core
// orders them, names the unnamed and writes the config.
Json functionalConfig(const Json& graph);
std::unique_ptr<Model> functionalModel(const std::vector<SymbolicTensor>& inputs,
                                       const std::vector<SymbolicTensor>& outputs, const std::string& name = "model",
                                       uint64_t seed = kDefaultModelSeed);
// The seed of a model's options ({"seed": n}): the one default and rule for every caller (JS
// model() and sequential() send their options here); "model: option 'seed' must be ..." when bad.
uint64_t modelSeed(const Json& options);
// layers: specs {"className", "config"}; the first one's config carries "inputShape".
std::unique_ptr<Model> sequentialModel(const std::vector<Json>& layers, const std::string& name = "sequential",
                                       uint64_t seed = kDefaultModelSeed);

// Keras default names for a model's layers: given[i] when non-empty, else
// "<snake_case class>_<n>" numbered from 1 per type, skipping names already taken.
std::vector<std::string> defaultLayerNames(const std::vector<std::string>& classNames,
                                           const std::vector<std::string>& given);

}  // namespace attn
