// The seed experiments (shared/seeds: the keras-attention-mechanism hello worlds, the
// `attention` package's add-two-numbers and find-max, and a Keras MultiHeadAttention toy),
// rebuilt on the C++ API. The examples (examples/*.cpp) and the seeded tests
// (tests/experiments/) use the same data generators, models and read-outs from here, so what
// the tests assert is what the examples show.
//
// Every generator draws from the Rng it is given: the same seed gives the same data.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/random.h"
#include "core/tensor.h"
#include "model/model.h"

namespace attn::seeds {

struct Dataset {
  Tensor x;  // samples first
  Tensor y;  // (n, 1)
};

// ---- 1. dense hello world (seed 001, attention_dense.py) ------------------------------------
// x ~ N(0, 1) of shape (n, dims); y in {0, 1}; x[:, targetColumn] = y: only that column
// carries the label, so the attention vector should peak there.
constexpr int kDenseDims = 32;
constexpr int kDenseTargetColumn = 1;
Dataset denseHelloWorld(int n, Rng& rng, int dims = kDenseDims, int targetColumn = kDenseTargetColumn);
// input -> featureAttention (name 'attention_vec') -> Dense(64) -> Dense(1, sigmoid); adam, BCE.
std::unique_ptr<Model> denseHelloWorldModel(int dims = kDenseDims, uint64_t seed = kDefaultModelSeed);

// ---- 2. recurrent hello world (seed 001, attention_lstm.py) ---------------------------------
// x ~ N(0, 1) of shape (n, steps, features); x[:, targetStep, :] = y.
constexpr int kRecurrentSteps = 20;
constexpr int kRecurrentFeatures = 2;
constexpr int kRecurrentTargetStep = 10;
Dataset recurrentHelloWorld(int n, Rng& rng, int steps = kRecurrentSteps, int features = kRecurrentFeatures,
                            int targetStep = kRecurrentTargetStep);
struct RecurrentVariant {
  bool attentionBeforeLstm = true;  // APPLY_ATTENTION_BEFORE_LSTM
  bool singleVector = false;        // SINGLE_ATTENTION_VECTOR
  std::string label() const;        // "before, per feature", ...
};
// before: input -> timeAttention ('attention_vec') -> LSTM(32) -> Dense(1, sigmoid)
// after:  input -> LSTM(32, returnSequences) -> timeAttention ('attention_vec') -> Flatten -> Dense(1, sigmoid)
// adam, BCE, metric accuracy.
std::unique_ptr<Model> recurrentHelloWorldModel(const RecurrentVariant& variant, int steps = kRecurrentSteps,
                                                int features = kRecurrentFeatures, int lstmUnits = 32,
                                                uint64_t seed = kDefaultModelSeed);

// ---- 3. add two numbers after delimiters (seed 002, add_two_numbers.py) ---------------------
// x[i, :] uniform in [0, 1) except two delimiters (0) at random positions a - 1, b - 1; y =
// (x[a] + x[b]) / 2, the mean of the two values right after the delimiters. Unlike the original
// (which can put the two delimiters side by side, so that the second delimiter overwrites the
// first value after y was computed), positions are at least 2 apart: exactly two delimiters and
// both summed values visible. delimiterA/B >= 0 fix the delimiter positions (the test set).
constexpr int kAddSteps = 20;
Dataset addTwoNumbers(int n, Rng& rng, int steps = kAddSteps, int delimiterA = -1, int delimiterB = -1);
// input (steps, 1) -> LSTM(lstmUnits, returnSequences) -> attention(128, bahdanau, 'attention_weight')
//   -> Dense(1); adam, loss `loss` ('mae' as the original, or 'mse'), metric mae.
std::unique_ptr<Model> addTwoNumbersModel(int steps = kAddSteps, int lstmUnits = 100, const std::string& loss = "mae",
                                          uint64_t seed = kDefaultModelSeed);

// ---- 4. find the max (seed 002, find_max.py) ------------------------------------------------
// x ~ Beta(1/T, 1) of shape (n, T, 1) (mostly near 0, a few large values); y = max over time.
constexpr int kMaxSteps = 10;
Dataset findMax(int n, Rng& rng, int steps = kMaxSteps);
// input (steps, 1) -> LSTM(64, returnSequences) -> attention(32, luong, 'attention_weight') -> Dense(1); adam, MSE.
std::unique_ptr<Model> findMaxModel(int steps = kMaxSteps, uint64_t seed = kDefaultModelSeed);

// ---- 5. Keras' own layers: self-attention over padded tokens --------------------------------
// Token sequences of length minLength..maxLength over tokens 1..vocab-1, padded 'pre' with 0 to
// maxLength; y = 1 when `marker` occurs in the sequence (half the samples, drawn at random).
constexpr int kTokenVocab = 20;
constexpr int kTokenMaxLength = 12;
constexpr int kTokenMarker = 7;
Dataset markerTokens(int n, Rng& rng, int vocab = kTokenVocab, int minLength = 3, int maxLength = kTokenMaxLength,
                     int marker = kTokenMarker);
// embedding(vocab, embedDim, maskZero) -> multiHeadAttention(heads, keyDim; query = value)
//   ('self_attention') -> globalAveragePooling1D -> Dense(1, sigmoid); adam, BCE, accuracy.
std::unique_ptr<Model> markerTokensModel(int vocab = kTokenVocab, int maxLength = kTokenMaxLength, int embedDim = 16,
                                         int heads = 2, int keyDim = 8, uint64_t seed = kDefaultModelSeed);

// FitOptions without designated initializers (GCC's -Wextra flags every member left out).
FitOptions fitOptions(int epochs, int batchSize, uint64_t seed, double validationSplit = 0.0);

// ---- reading the attention -------------------------------------------------------------------
// weights (n, ...rest): the mean over samples, shape rest.
std::vector<float> meanOverSamples(const Tensor& weights);
// weights (n, T, D): the mean over samples and features, per step (the seeds' np.mean(..., axis=-1)
// averaged over samples). For (n, T) it is meanOverSamples.
std::vector<float> meanPerStep(const Tensor& weights);
int argmax(const float* values, int count);
inline int argmax(const std::vector<float>& values) { return argmax(values.data(), static_cast<int>(values.size())); }
// An ASCII bar chart, one line per index: "  10 | 0.4123 ##########".
std::string barChart(const std::vector<float>& values, int width = 50);

// Mean absolute error of predictions (n, 1) against y (n, 1), and that of always predicting
// y's mean (the baseline a model that learned nothing reaches).
double meanAbsoluteError(const Tensor& predictions, const Tensor& y);
double meanPredictorMae(const Tensor& y);
// Fraction of binary predictions (n, 1) (threshold 0.5) equal to y.
double binaryAccuracy(const Tensor& predictions, const Tensor& y);

// Time since construction: wall clock, and this process's CPU time (the honest figure on a
// machine shared with other jobs).
class Stopwatch {
 public:
  Stopwatch();
  double seconds() const;
  double cpuSeconds() const;
  std::string str() const;  // "3.07 s (1.02 s CPU)"

 private:
  int64_t startNs_;
  double startCpu_;
};

}  // namespace attn::seeds
