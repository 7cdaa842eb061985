#include "loss/loss.h"

#include <algorithm>
#include <cmath>

#include "core/check.h"

namespace attn {
namespace {

struct LossName {
  const char* camel;
  const char* snake;
  const char* shortName;
  LossKind kind;
};
constexpr LossName kLosses[] = {
    {"meanSquaredError", "mean_squared_error", "mse", LossKind::MeanSquaredError},
    {"meanAbsoluteError", "mean_absolute_error", "mae", LossKind::MeanAbsoluteError},
    {"binaryCrossentropy", "binary_crossentropy", "bce", LossKind::BinaryCrossentropy},
    {"categoricalCrossentropy", "categorical_crossentropy", "cce", LossKind::CategoricalCrossentropy},
    {"sparseCategoricalCrossentropy", "sparse_categorical_crossentropy", "scce",
     LossKind::SparseCategoricalCrossentropy},
};

// Rows and width of a prediction: width = last axis, one loss value per row.
struct Layout {
  int64_t rows;
  int width;
};
Layout layoutOf(const Tensor& prediction) {
  const int width = prediction.rank() ? prediction.shape().back() : 1;
  return {width ? prediction.size() / width : 0, width};
}

float clipProbability(float p) { return std::min(std::max(p, kLossEpsilon), 1.f - kLossEpsilon); }
bool insideClip(float p) { return p > kLossEpsilon && p < 1.f - kLossEpsilon; }

int classId(float value, int classes, const std::string& owner) {
  ATTN_CHECK(value >= 0.f && value < static_cast<float>(classes) && value == std::floor(value), owner,
             ": sparse target ", value, " is not a class id in [0, ", classes, ")");
  return static_cast<int>(value);
}

// Per-row loss and (when g is non-null) its gradient scaled by `gradScale`, accumulated into g.
double rowLoss(LossKind kind, const float* p, const float* y, int width, bool fromLogits, float* g, float gradScale,
               const std::string& owner) {
  switch (kind) {
    case LossKind::MeanSquaredError: {
      // loss = mean_c (p - y)^2;  dp = 2 (p - y) / C
      double sum = 0;
      for (int c = 0; c < width; ++c) {
        const float d = p[c] - y[c];
        sum += double(d) * d;
        if (g) g[c] += gradScale * 2.f * d / width;
      }
      return sum / width;
    }
    case LossKind::MeanAbsoluteError: {
      // loss = mean_c |p - y|;  dp = sign(p - y) / C
      double sum = 0;
      for (int c = 0; c < width; ++c) {
        const float d = p[c] - y[c];
        sum += std::fabs(d);
        if (g) g[c] += gradScale * static_cast<float>((d > 0.f) - (d < 0.f)) / width;
      }
      return sum / width;
    }
    case LossKind::BinaryCrossentropy: {
      double sum = 0;
      if (fromLogits) {
        // loss = max(z, 0) - z y + log(1 + exp(-|z|));  dz = sigmoid(z) - y
        for (int c = 0; c < width; ++c) {
          const float z = p[c];
          sum += std::max(z, 0.f) - double(z) * y[c] + std::log1p(std::exp(-double(std::fabs(z))));
          if (g) {
            const float s = z >= 0.f ? 1.f / (1.f + std::exp(-z)) : std::exp(z) / (1.f + std::exp(z));
            g[c] += gradScale * (s - y[c]) / width;
          }
        }
      } else {
        // Keras: q = clip(p); loss = -(y log(q + eps) + (1 - y) log(1 - q + eps)); no gradient where clipped
        for (int c = 0; c < width; ++c) {
          const float q = clipProbability(p[c]);
          sum -= y[c] * std::log(double(q) + kLossEpsilon) + (1.0 - y[c]) * std::log(1.0 - q + kLossEpsilon);
          if (g && insideClip(p[c]))
            g[c] += gradScale * static_cast<float>(-(y[c] / (double(q) + kLossEpsilon)) +
                                                   (1.0 - y[c]) / (1.0 - q + kLossEpsilon)) /
                    width;
        }
      }
      return sum / width;
    }
    case LossKind::CategoricalCrossentropy: {
      if (fromLogits) {
        // loss = sum(y) lse(z) - y . z;  dz = sum(y) softmax(z) - y
        const float zmax = *std::max_element(p, p + width);
        double expSum = 0, ySum = 0, yz = 0;
        for (int c = 0; c < width; ++c) {
          expSum += std::exp(double(p[c]) - zmax);
          ySum += y[c];
          yz += double(y[c]) * p[c];
        }
        const double lse = zmax + std::log(expSum);
        if (g)
          for (int c = 0; c < width; ++c)
            g[c] += gradScale * static_cast<float>(ySum * std::exp(double(p[c]) - lse) - y[c]);
        return ySum * lse - yz;
      }
      // Keras: q = clip(p / sum(p)); loss = -y . log(q). Through the normalisation,
      // dp_j = (dq_j - sum_i dq_i q_i) / sum(p) with dq_i = -y_i / q_i (0 where clipped).
      double pSum = 0;
      for (int c = 0; c < width; ++c) pSum += p[c];
      ATTN_CHECK(pSum > 0, owner, ": categoricalCrossentropy needs predictions with a positive sum, got ", pSum);
      double loss = 0, dqDotQ = 0;
      for (int c = 0; c < width; ++c) {
        const double q = p[c] / pSum;
        const double qc = clipProbability(static_cast<float>(q));
        loss -= y[c] * std::log(qc);
        if (insideClip(static_cast<float>(q))) dqDotQ += -y[c] / qc * q;
      }
      if (g)
        for (int c = 0; c < width; ++c) {
          const double q = p[c] / pSum;
          const double dq = insideClip(static_cast<float>(q)) ? -y[c] / double(clipProbability(float(q))) : 0.0;
          g[c] += gradScale * static_cast<float>((dq - dqDotQ) / pSum);
        }
      return loss;
    }
    case LossKind::SparseCategoricalCrossentropy: {
      const int t = classId(y[0], width, owner);
      if (fromLogits) {
        // loss = lse(z) - z_t;  dz = softmax(z) - onehot(t)
        const float zmax = *std::max_element(p, p + width);
        double expSum = 0;
        for (int c = 0; c < width; ++c) expSum += std::exp(double(p[c]) - zmax);
        const double lse = zmax + std::log(expSum);
        if (g)
          for (int c = 0; c < width; ++c)
            g[c] += gradScale * static_cast<float>(std::exp(double(p[c]) - lse) - (c == t ? 1.0 : 0.0));
        return lse - p[t];
      }
      // Keras: l = log(clip(p)); loss = lse(l) - l_t = -log(clip(p_t) / sum clip(p));
      // dl = clip(p) / sum clip(p) - onehot(t), dp = dl / p inside the clip range, else 0.
      double qSum = 0;
      for (int c = 0; c < width; ++c) qSum += clipProbability(p[c]);
      const double loss = -std::log(clipProbability(p[t]) / qSum);
      if (g)
        for (int c = 0; c < width; ++c) {
          if (!insideClip(p[c])) continue;
          const double dl = p[c] / qSum - (c == t ? 1.0 : 0.0);
          g[c] += gradScale * static_cast<float>(dl / p[c]);
        }
      return loss;
    }
  }
  return 0;
}

void checkShapes(LossKind kind, const LossInput& in, const std::string& owner) {
  const Shape& ps = in.prediction->shape();
  const Shape& ts = in.target->shape();
  const Layout layout = layoutOf(*in.prediction);
  if (kind == LossKind::SparseCategoricalCrossentropy) {
    ATTN_CHECK(in.target->size() == layout.rows, owner, ": sparse targets must hold one class id per prediction row (",
               layout.rows, "), got shape ", ts.str());
  } else {
    ATTN_CHECK(ps == ts, owner, ": targets of shape ", ts.str(), " do not match predictions of shape ", ps.str());
  }
  if (in.mask)
    ATTN_CHECK(in.mask->size() == layout.rows, owner, ": the output mask holds ", in.mask->size(),
               " weights for ", layout.rows, " rows");
}

}  // namespace

LossKind parseLoss(const std::string& name, const std::string& owner) {
  for (const auto& l : kLosses)
    if (name == l.camel || name == l.snake || name == l.shortName) return l.kind;
  fail(owner, ": unknown loss '", name,
       "' (expected mse, mae, binaryCrossentropy, categoricalCrossentropy or sparseCategoricalCrossentropy)");
}

const char* lossName(LossKind kind) {
  for (const auto& l : kLosses)
    if (l.kind == kind) return l.camel;
  return "meanSquaredError";
}

Activation fusableActivation(LossKind kind) {
  switch (kind) {
    case LossKind::BinaryCrossentropy: return Activation::Sigmoid;
    case LossKind::CategoricalCrossentropy:
    case LossKind::SparseCategoricalCrossentropy: return Activation::Softmax;
    default: return Activation::Linear;
  }
}

double lossRowWeight(const LossInput& in) {
  const Layout layout = layoutOf(*in.prediction);
  if (!in.mask) return static_cast<double>(layout.rows);
  const float* mask = in.mask->data();
  double weight = 0;
  for (int64_t r = 0; r < layout.rows; ++r) weight += mask[r];
  return weight;
}

double computeLoss(LossKind kind, const LossInput& in, Tensor* grad, const std::string& owner, float scale,
                   double* rowWeight, double normalizer) {
  checkShapes(kind, in, owner);
  const Layout layout = layoutOf(*in.prediction);
  const bool sparse = kind == LossKind::SparseCategoricalCrossentropy;
  const float* mask = in.mask ? in.mask->data() : nullptr;
  const double kept = lossRowWeight(in);
  if (rowWeight) *rowWeight = kept;
  const double weight = normalizer > 0 ? normalizer : kept;
  if (kept <= 0 || weight <= 0) return 0.0;
  const float* p = in.prediction->data();
  const float* y = in.target->data();
  float* g = grad ? grad->data() : nullptr;
  // Sample weights scale each sample's rows; the mean stays over the rows the mask keeps (Keras).
  const float* sampleWeight = in.sampleWeight ? in.sampleWeight->data() : nullptr;
  const int64_t rowsPerSample = std::max<int64_t>(1, layout.rows / std::max(1, in.prediction->dim(0)));
  double total = 0;
  for (int64_t r = 0; r < layout.rows; ++r) {
    const float w = (mask ? mask[r] : 1.f) * (sampleWeight ? sampleWeight[r / rowsPerSample] : 1.f);
    if (w == 0.f) continue;
    const float gradScale = static_cast<float>(scale * w / weight);
    total += w * rowLoss(kind, p + r * layout.width, sparse ? y + r : y + r * layout.width, layout.width,
                         in.fromLogits, g ? g + r * layout.width : nullptr, gradScale, owner);
  }
  return total / weight;
}

AccuracyKind accuracyKindFor(LossKind loss, const Shape& prediction, const Shape& target) {
  if (loss == LossKind::BinaryCrossentropy) return AccuracyKind::Binary;
  if (loss == LossKind::SparseCategoricalCrossentropy) return AccuracyKind::SparseCategorical;
  if (loss == LossKind::CategoricalCrossentropy) return AccuracyKind::Categorical;
  const int last = prediction.rank ? prediction.back() : 1;
  if (last == 1) return AccuracyKind::Binary;
  if (target.rank < prediction.rank || (target.rank && target.back() == 1)) return AccuracyKind::SparseCategorical;
  return AccuracyKind::Categorical;
}

void accumulateAccuracy(AccuracyKind kind, const LossInput& in, MetricSum& sum) {
  const Layout layout = layoutOf(*in.prediction);
  const float* p = in.prediction->data();
  const float* y = in.target->data();
  const float* mask = in.mask && in.mask->size() == layout.rows ? in.mask->data() : nullptr;
  const float threshold = in.fromLogits ? 0.f : 0.5f;
  for (int64_t r = 0; r < layout.rows; ++r) {
    const float w = mask ? mask[r] : 1.f;
    if (w == 0.f) continue;
    const float* row = p + r * layout.width;
    if (kind == AccuracyKind::Binary) {
      // Per element, as Keras' binary_accuracy (mean over the last axis).
      const float* t = y + r * layout.width;
      int correct = 0;
      for (int c = 0; c < layout.width; ++c) correct += (row[c] > threshold) == (t[c] > 0.5f);
      sum.total += w * double(correct) / layout.width;
    } else {
      const int predicted = static_cast<int>(std::max_element(row, row + layout.width) - row);
      int truth;
      if (kind == AccuracyKind::SparseCategorical) {
        truth = static_cast<int>(y[r]);
      } else {
        const float* t = y + r * layout.width;
        truth = static_cast<int>(std::max_element(t, t + layout.width) - t);
      }
      sum.total += w * (predicted == truth ? 1.0 : 0.0);
    }
    sum.weight += w;
  }
}

}  // namespace attn
