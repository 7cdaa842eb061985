// Embind bindings: the C++ core as seen from JavaScript. Thin by rule: each function converts
// arguments, calls the core, converts the result; validation and logic live in src/. Every
// attn::Error (and std::exception) becomes a JS Error with the same message: the call parks it
// (see guarded) and api.js throws it once the call has returned and Embind has cleaned up.
//
// Data crosses once: JS fills tensors it created inside a TensorList through a Float32Array
// view of wasm memory (typed_memory_view), and the list's tensors are moved, not copied, into
// the model. Views are taken again after every call, since memory growth detaches them.
#include <emscripten/bind.h>
#include <emscripten/val.h>
#include <malloc.h>

#include <algorithm>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/check.h"
#include "core/thread_pool.h"
#include "core/json.h"
#include "io/keras_import.h"
#include "io/model_file.h"
#include "kernels/kernels.h"
#include "layers/registry.h"
#include "model/fit_options.h"
#include "model/json_views.h"
#include "model/model.h"

using emscripten::val;

namespace {

[[noreturn]] void throwJsError(const std::string& message) {
  val error = val::global("Error").new_(message);
  error.throw_();
  __builtin_unreachable();
}

// Errors never propagate through an Embind call: Embind 3.1.6 frees the buffers it allocated
// for std::string arguments only when the call returns, so every throw would leak them. The
// message is parked here instead, the call returns a default value, and the JS wrapper (api.js)
// calls takeError() after every call and throws there.
std::string g_pendingError;

template <class Body>
auto guarded(Body&& body) -> decltype(body()) {
  using Result = decltype(body());
  try {
    return body();
  } catch (const attn::Error& e) {
    g_pendingError = e.what();
  } catch (const std::exception& e) {
    // Not a checked error: a bug or resource failure, never an expected answer to bad input.
    // Tests tell the two apart by this prefix.
    g_pendingError = std::string("attention-wasm internal error: ") + e.what();
  } catch (...) {
    g_pendingError = "attention-wasm internal error: unknown C++ exception";
  }
  if constexpr (std::is_same_v<Result, val>) return val::undefined();
  else if constexpr (!std::is_void_v<Result>) return Result{};
}

std::string takeError() { return std::exchange(g_pendingError, std::string()); }

// Every object handed to JS counts itself while alive, so tests (and apps) can see that nothing
// leaks across create / fit / predict / dispose cycles: aw.liveHandles().
int g_liveHandles = 0;
struct LiveHandle {
  LiveHandle() { ++g_liveHandles; }
  LiveHandle(const LiveHandle&) { ++g_liveHandles; }
  LiveHandle& operator=(const LiveHandle&) = default;
  ~LiveHandle() { --g_liveHandles; }
};

attn::Json parseJson(const std::string& text, const char* what) {
  attn::Json value = attn::Json::parse(text, nullptr, false);
  if (value.is_discarded()) attn::fail(what, ": not valid JSON");
  return value;
}

val shapeToJs(const attn::Shape& shape) {
  val out = val::array();
  for (int i = 0; i < shape.rank; ++i) out.call<void>("push", shape[i]);
  return out;
}

// ---- data ------------------------------------------------------------------------------------

attn::Shape shapeFromJs(const val& shape) {
  std::vector<double> sizes = emscripten::vecFromJSArray<double>(shape);
  std::vector<int> dims;
  for (double d : sizes) {
    ATTN_CHECK(d >= 0 && d < 2147483648.0 && d == static_cast<double>(static_cast<int64_t>(d)),
               "tensor: shape sizes must be non-negative integers, got ", d);
    dims.push_back(static_cast<int>(d));
  }
  return attn::Shape(dims);
}

class TensorList {
 public:
  TensorList() = default;
  explicit TensorList(std::vector<attn::Tensor> items) : items_(std::move(items)) {}

  // Appends a tensor of `shape` (a JS array of sizes) and returns its index.
  int add(val shape) {
    return guarded([&] {
      items_.emplace_back(shapeFromJs(shape));  // throws for ranks and sizes past the limits
      return static_cast<int>(items_.size()) - 1;
    });
  }
  // Item i (appended when i == size()) resized to `shape` in place, and a view over it to fill:
  // a list refilled batch after batch allocates only when a batch is larger than any before.
  val stage(int i, val shape) {
    if (i < 0 || i > size()) throwJsError("tensor list: index out of range");
    guarded([&] {
      const attn::Shape dims = shapeFromJs(shape);
      if (i == size())
        items_.emplace_back(dims);
      else
        at(i).resize(dims);
    });
    return view(i);
  }
  int size() const { return static_cast<int>(items_.size()); }
  // Frees every item when together they hold more than `floats`: a list kept for the next batch
  // does not hold on to a whole data set staged once.
  void releaseIfOver(int64_t floats) {
    int64_t total = 0;
    for (const attn::Tensor& t : items_) total += t.size();
    if (total > floats) items_.clear();
  }
  val view(int i) {
    attn::Tensor& t = at(i);
    return val(emscripten::typed_memory_view(static_cast<size_t>(t.size()), t.data()));
  }
  val shape(int i) { return shapeToJs(at(i).shape()); }
  std::vector<attn::Tensor>& items() { return items_; }
  std::vector<attn::Tensor> take() { return std::move(items_); }

 private:
  attn::Tensor& at(int i) {
    if (i < 0 || i >= size()) throwJsError("tensor list: index out of range");
    return items_[i];
  }
  std::vector<attn::Tensor> items_;
  LiveHandle live_;
};

class Bytes {
 public:
  explicit Bytes(int size) : bytes_(size > 0 ? size : 0) {}
  val view() { return val(emscripten::typed_memory_view(bytes_.size(), bytes_.data())); }
  const std::vector<uint8_t>& bytes() const { return bytes_; }

 private:
  std::vector<uint8_t> bytes_;
  LiveHandle live_;
};

// ---- training --------------------------------------------------------------------------------

class FitSession {
 public:
  // Holds the model too: a model disposed from JS during fit is freed when the fit ends.
  FitSession(std::shared_ptr<attn::Model> model, std::unique_ptr<attn::FitSession> session)
      : model_(std::move(model)), session_(std::move(session)) {}

  // One batch. Returns bit 0: the epoch ended (epochLogValues is fresh), bit 1: done.
  int step() {
    return guarded([&] {
      attn::FitProgress p = session_->step();
      epoch_ = p.epoch;
      batch_ = p.batch;
      samplesSeen_ = p.samplesSeen;
      batchLogs_ = p.batchLogs;
      epochLogs_ = p.epochLogs;
      return (p.epochEnded ? 1 : 0) | (p.done ? 2 : 0);
    });
  }
  void stop() { session_->stop(); }
  int epoch() const { return epoch_; }
  int batch() const { return batch_; }
  int samplesSeen() const { return samplesSeen_; }
  // The core's History: what fit() returns, kept by the session, not rebuilt in JS.
  std::string historyJson() const { return session_->history().toJson().dump(); }
  int samples() const { return session_->trainSamples(); }
  int batchesPerEpoch() const { return session_->batchesPerEpoch(); }
  // Names once, values as views over the core's logs (doubles): nothing is built per batch.
  std::string batchLogNames() const { return namesJson(batchLogs_); }
  std::string epochLogNames() const { return namesJson(epochLogs_); }
  val batchLogValues() const { return valuesView(batchLogs_); }
  val epochLogValues() const { return valuesView(epochLogs_); }

 private:
  static std::string namesJson(const attn::Logs* logs) { return logs ? attn::Json(logs->names).dump() : "[]"; }
  static val valuesView(const attn::Logs* logs) {
    if (!logs) return val(emscripten::typed_memory_view(size_t(0), static_cast<const double*>(nullptr)));
    return val(emscripten::typed_memory_view(logs->values.size(), logs->values.data()));
  }
  std::shared_ptr<attn::Model> model_;
  std::unique_ptr<attn::FitSession> session_;
  LiveHandle live_;
  int epoch_ = 0, batch_ = 0, samplesSeen_ = 0;
  const attn::Logs* batchLogs_ = nullptr;
  const attn::Logs* epochLogs_ = nullptr;
};

// ---- the model -------------------------------------------------------------------------------

class Model {
 public:
  explicit Model(std::unique_ptr<attn::Model> model) : model_(std::move(model)) {}
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  static Model* fromConfig(const std::string& configJson, const std::string& optionsJson) {
    return guarded([&] {
      const uint64_t seed = attn::modelSeed(parseJson(optionsJson, "model options"));
      return new Model(std::make_unique<attn::Model>(parseJson(configJson, "model config"), seed));
    });
  }
  static Model* load(const Bytes& bytes) {
    return guarded([&] { return new Model(attn::loadModel(bytes.bytes())); });
  }
  // A Keras model whose containers JS has read: its model and training configs, its weights (in
  // the file's order, named as the file names them) and the user's customLayers.
  static Model* importKeras(const std::string& modelConfigJson, const std::string& trainingConfigJson,
                            TensorList& weights, const std::string& weightNamesJson, const std::string& customJson) {
    return guarded([&] {
      const attn::Json names = parseJson(weightNamesJson, "loadKerasModel: weight names");
      std::vector<attn::Tensor> values = weights.take();
      ATTN_CHECK(names.is_array() && names.size() == values.size(), "loadKerasModel: ", values.size(),
                 " weights but ", names.size(), " names");
      std::vector<attn::NamedTensor> named;
      for (size_t i = 0; i < values.size(); ++i)
        named.push_back({names[i].is_string() ? names[i].get<std::string>() : "", std::move(values[i])});
      std::vector<std::string> warnings;
      auto model = attn::importKerasModel(parseJson(modelConfigJson, "loadKerasModel: model config"),
                                          parseJson(trainingConfigJson, "loadKerasModel: training config"), named,
                                          parseJson(customJson, "loadKerasModel: customLayers"), &warnings);
      auto* out = new Model(std::move(model));
      out->warnings_ = attn::Json(warnings).dump();
      return out;
    });
  }
  std::string importWarnings() const { return warnings_; }

  int inputCount() const { return model_->inputCount(); }
  int outputCount() const { return model_->outputCount(); }
  void compile(const std::string& options) {
    guarded([&] { model_->compile(parseJson(options, "compile")); });
  }

  // Empty lists stand for absent validation data and sample weights.
  FitSession* beginFit(TensorList& xs, TensorList& ys, TensorList& vx, TensorList& vy, TensorList& sampleWeights,
                       const std::string& options) {
    return guarded([&] {
      attn::FitOptions fit = attn::parseFitOptions(parseJson(options, "fit"));
      fit.validationXs = vx.take();
      fit.validationYs = vy.take();
      fit.sampleWeights = sampleWeights.take();
      return new FitSession(model_, model_->beginFit(xs.take(), ys.take(), std::move(fit)));
    });
  }

  // predict and trainOnBatch run on the inputs (and targets) JS staged into the model's own lists
  // (stageInput / stageTarget: resized in place, so a call per batch allocates nothing once the
  // largest batch has been seen). Staged batches over kStagedFloatsKept are freed after the call.
  static constexpr int64_t kStagedFloatsKept = int64_t(1) << 20;  // 4 MB
  TensorList* predict(const std::string& options) {
    TensorList* out = guarded([&] {
      const attn::RunOptions run = attn::parseRunOptions(parseJson(options, "predict"), "predict");
      return new TensorList(model_->predict(stagedInputs_.items(), run.batchSize));
    });
    stagedInputs_.releaseIfOver(kStagedFloatsKept);
    return out;
  }
  std::string evaluate(TensorList& xs, TensorList& ys, const std::string& options) {
    return guarded([&] {
      const attn::RunOptions run = attn::parseRunOptions(parseJson(options, "evaluate"), "evaluate");
      return attn::logsToJson(model_->evaluate(xs.items(), ys.items(), run.batchSize)).dump();
    });
  }
  // One batch; its logs stay here (logNames once, logValues a view): nothing to parse per batch.
  void trainOnBatch() {
    guarded([&] { logs_ = model_->trainOnBatch(stagedInputs_.items(), stagedTargets_.items()); });
    stagedInputs_.releaseIfOver(kStagedFloatsKept);
    stagedTargets_.releaseIfOver(kStagedFloatsKept);
  }
  val stageInput(int i, val shape) { return stagedInputs_.stage(i, shape); }
  val stageTarget(int i, val shape) { return stagedTargets_.stage(i, shape); }
  std::string logNames() const { return attn::Json(logs_.names).dump(); }
  val logValues() const { return val(emscripten::typed_memory_view(logs_.values.size(), logs_.values.data())); }
  TensorList* getAttention(TensorList& xs, const std::string& options) {
    return guarded([&] {
      const attn::RunOptions run = attn::parseRunOptions(parseJson(options, "getAttention"), "getAttention", true);
      std::vector<attn::Tensor> out;
      out.push_back(model_->getAttention(xs.items(), run.layer, run.batchSize));
      return new TensorList(std::move(out));
    });
  }
  TensorList* getActivations(TensorList& xs, const std::string& layer, const std::string& options) {
    return guarded([&] {
      const attn::RunOptions run = attn::parseRunOptions(parseJson(options, "getActivations"), "getActivations");
      return new TensorList(attn::allActivations(*model_, xs.items(), layer, run.batchSize));
    });
  }

  std::string summary() const { return guarded([&] { return model_->summary(); }); }
  double countParams() const { return static_cast<double>(model_->countParams()); }
  std::string layersJson() const { return guarded([&] { return attn::layersToJson(*model_).dump(); }); }
  std::string inputsJson() const { return guarded([&] { return attn::inputsToJson(*model_).dump(); }); }
  std::string toJSON() const { return guarded([&] { return model_->toConfig().dump(); }); }

  // Weights: names and shapes once, then a view per weight (copied out by JS at once).
  std::string weightsJson() {
    return guarded([&] {
      weights_ = model_->getWeights();
      attn::Json out = attn::Json::array();
      for (const auto& w : weights_) out.push_back({{"name", w.name}, {"shape", w.value.shape().toVector()}});
      return out.dump();
    });
  }
  val weightView(int i) {
    if (i < 0 || i >= static_cast<int>(weights_.size())) throwJsError("getWeights: index out of range");
    attn::Tensor& t = weights_[i].value;
    return val(emscripten::typed_memory_view(static_cast<size_t>(t.size()), t.data()));
  }
  void releaseWeights() { weights_.clear(); weights_.shrink_to_fit(); }
  void setWeights(TensorList& values, const std::string& namesJson) {
    guarded([&] {
      attn::Json names = parseJson(namesJson, "setWeights");
      std::vector<attn::NamedTensor> list;
      auto items = values.take();
      for (size_t i = 0; i < items.size(); ++i) {
        std::string name = i < names.size() && names[i].is_string() ? names[i].get<std::string>() : "";
        list.push_back({std::move(name), std::move(items[i])});
      }
      model_->setWeights(list);
    });
  }

  // The saved file stays in the model until the next save(); JS copies it out at once.
  val save() {
    return guarded([&] {
      saved_ = attn::saveModel(*model_);
      return val(emscripten::typed_memory_view(saved_.size(), saved_.data()));
    });
  }

 private:
  std::shared_ptr<attn::Model> model_;
  std::vector<attn::NamedTensor> weights_;
  std::vector<uint8_t> saved_;
  std::string warnings_ = "[]";
  TensorList stagedInputs_, stagedTargets_;  // the last staged batch, kept for the next one (see predict)
  attn::Logs logs_;                          // of the last trainOnBatch
  LiveHandle live_;
};

// ---- free functions --------------------------------------------------------------------------

std::string version() { return ATTN_VERSION; }
int liveHandles() { return g_liveHandles; }
// Bytes the allocator has handed out and not yet got back (the heap itself only ever grows).
double heapBytesInUse() { return static_cast<double>(mallinfo().uordblks); }
std::string simdArchitecture() { return attn::kernels::simdArchitecture(); }
int setFixedShards(double shards) {
  return guarded([&] { return attn::setFixedShards(shards); });
}

// A layer made by a JS factory: created (and its options checked) once, where the factory is
// called; apply() builds this same object on the symbolic input shapes. Freed by apply or by
// the JS garbage collector (graph.js).
class LayerHandle {
 public:
  static LayerHandle* create(const std::string& type, const std::string& optionsJson) {
    return guarded([&]() -> LayerHandle* {
      return new LayerHandle(attn::createLayer(type, parseJson(optionsJson, type.c_str())));
    });
  }
  // [[sizes...], ...] per input -> [[sizes...], ...] per output.
  val outputShapes(val inputShapes) {
    return guarded([&] {
      std::vector<std::vector<double>> shapes;
      for (val shape : emscripten::vecFromJSArray<val>(inputShapes))
        shapes.push_back(emscripten::vecFromJSArray<double>(shape));
      val out = val::array();
      for (const attn::Shape& s : attn::symbolicBuild(*layer_, shapes)) out.call<void>("push", shapeToJs(s));
      return out;
    });
  }

 private:
  explicit LayerHandle(std::unique_ptr<attn::Layer> layer) : layer_(std::move(layer)) {}
  std::unique_ptr<attn::Layer> layer_;
};

// The factory names of every registered layer type, sorted: the package's aw.layers.
std::string layerFactoryNames() {
  std::vector<std::string> names;
  for (const attn::LayerType* type : attn::layerTypes()) names.push_back(type->factoryName);
  std::sort(names.begin(), names.end());
  return attn::Json(names).dump();
}

std::string inputShape(const std::string& optionsJson) {
  return guarded([&] { return attn::Json(attn::inputOptions(parseJson(optionsJson, "input")).toVector()).dump(); });
}

std::string functionalConfig(const std::string& graphJson) {
  return guarded([&] { return attn::functionalConfig(parseJson(graphJson, "model")).dump(); });
}

}  // namespace

EMSCRIPTEN_BINDINGS(attention_wasm) {
  using namespace emscripten;
  function("version", &version);
  function("liveHandles", &liveHandles);
  function("takeError", &takeError);
  function("heapBytesInUse", &heapBytesInUse);
  function("simdArchitecture", &simdArchitecture);
  function("fusedMultiplyAdd", &attn::kernels::fusedMultiplyAdd);
  function("setThreads", &attn::setThreads);
  function("threads", &attn::threads);
  function("setFixedShards", &setFixedShards);
  function("fixedShards", &attn::fixedShards);
  function("functionalConfig", &functionalConfig);
  function("inputShape", &inputShape);
  function("layerFactoryNames", &layerFactoryNames);

  class_<TensorList>("TensorList")
      .constructor<>()
      .function("add", &TensorList::add)
      .function("size", &TensorList::size)
      .function("view", &TensorList::view)
      .function("stage", &TensorList::stage)
      .function("shape", &TensorList::shape);
  class_<LayerHandle>("LayerHandle")
      .class_function("create", &LayerHandle::create, allow_raw_pointers())
      .function("outputShapes", &LayerHandle::outputShapes);
  class_<Bytes>("Bytes").constructor<int>().function("view", &Bytes::view);

  class_<FitSession>("FitSession")
      .function("step", &FitSession::step)
      .function("stop", &FitSession::stop)
      .function("epoch", &FitSession::epoch)
      .function("batch", &FitSession::batch)
      .function("samples", &FitSession::samples)
      .function("samplesSeen", &FitSession::samplesSeen)
      .function("historyJson", &FitSession::historyJson)
      .function("batchesPerEpoch", &FitSession::batchesPerEpoch)
      .function("batchLogNames", &FitSession::batchLogNames)
      .function("epochLogNames", &FitSession::epochLogNames)
      .function("batchLogValues", &FitSession::batchLogValues)
      .function("epochLogValues", &FitSession::epochLogValues);

  class_<Model>("Model")
      .class_function("fromConfig", &Model::fromConfig, allow_raw_pointers())
      .class_function("load", &Model::load, allow_raw_pointers())
      .class_function("importKeras", &Model::importKeras, allow_raw_pointers())
      .function("importWarnings", &Model::importWarnings)
      .function("inputCount", &Model::inputCount)
      .function("outputCount", &Model::outputCount)
      .function("compile", &Model::compile)
      .function("beginFit", &Model::beginFit, allow_raw_pointers())
      .function("predict", &Model::predict, allow_raw_pointers())
      .function("evaluate", &Model::evaluate)
      .function("trainOnBatch", &Model::trainOnBatch)
      .function("stageInput", &Model::stageInput)
      .function("stageTarget", &Model::stageTarget)
      .function("logNames", &Model::logNames)
      .function("logValues", &Model::logValues)
      .function("getAttention", &Model::getAttention, allow_raw_pointers())
      .function("getActivations", &Model::getActivations, allow_raw_pointers())
      .function("summary", &Model::summary)
      .function("countParams", &Model::countParams)
      .function("layersJson", &Model::layersJson)
      .function("inputsJson", &Model::inputsJson)
      .function("toJSON", &Model::toJSON)
      .function("weightsJson", &Model::weightsJson)
      .function("weightView", &Model::weightView)
      .function("releaseWeights", &Model::releaseWeights)
      .function("setWeights", &Model::setWeights)
      .function("save", &Model::save);
}
