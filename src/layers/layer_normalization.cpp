// LayerNormalization, as keras.layers.LayerNormalization: each sample is normalized over the
// axes `axis` (an int or a list of adjacent axes; batch = axis 0, default -1).
//   x viewed as (R, N, I): N = the normalized axes, R = the axes before, I = the axes after
//   xhat = (x - mean) / sqrt(var + eps) over the N values of each (r, i);  y = gamma * xhat + beta
//   gamma, beta shaped like the normalized axes. Masks pass through.
#include <algorithm>
#include <cmath>

#include "core/check.h"
#include "core/config.h"
#include "layers/axes.h"
#include "layers/affine_normalization.h"
#include "layers/registry.h"

namespace attn {
namespace {

class LayerNormalization final : public Layer {
 public:
  using Layer::Layer;

  const char* className() const override { return "LayerNormalization"; }
  void visitOptions(OptionList& o) override {
    o.intOrIntList("axis", axes_, {-1});
    o.require(!axes_.empty(), "option 'axis' must name at least one axis");
    affine_.visit(o);
  }

  std::vector<Shape> onBuild(const std::vector<Shape>& in, ParamStore& store) override {
    ATTN_CHECK(in[0].rank >= 1, name_, ": expected input of rank >= 2 (batch included), got shape ",
               in[0].str(true));
    std::vector<int> axes;
    for (int a : axes_) axes.push_back(axes::sampleAxis(name_, "axis", a, in[0].rank));
    std::sort(axes.begin(), axes.end());
    for (size_t i = 1; i < axes.size(); ++i)
      ATTN_CHECK(axes[i] == axes[i - 1] + 1, name_, ": option 'axis' must list adjacent axes, got ",
                 Json(axes_).dump());
    leading_ = trailing_ = group_ = 1;
    Shape paramShape;
    for (int d = 0; d < in[0].rank; ++d) {
      if (d < axes.front())
        leading_ *= in[0][d];
      else if (d > axes.back())
        trailing_ *= in[0][d];
      else {
        group_ *= in[0][d];
        paramShape.dims[paramShape.rank++] = in[0][d];
      }
    }
    // Keras order: gamma, beta.
    if (affine_.scale) gamma_ = addParam(store, "gamma", paramShape, affine_.gammaInit, affine_.gammaReg);
    if (affine_.center) beta_ = addParam(store, "beta", paramShape, affine_.betaInit, affine_.betaReg);
    setOutputCount(1);
    return {in[0]};
  }

  void onForward(const ForwardPass& pass) override {
    const Tensor& x = *pass.inputs[0];
    const int64_t groups = int64_t(x.dim(0)) * leading_ * trailing_;
    const int N = group_, I = trailing_;
    Tensor& y = outputs_[0];
    y.resize(x.shape());
    normalized_.resize(x.shape());
    invStd_.resize(Shape{static_cast<int>(groups)});
    for (int64_t g = 0; g < groups; ++g) {
      const int64_t base = (g / I) * N * I + g % I;
      double sum = 0, squares = 0;
      for (int k = 0; k < N; ++k) sum += x[base + int64_t(k) * I];
      const double mean = sum / N;
      for (int k = 0; k < N; ++k) {
        const double d = x[base + int64_t(k) * I] - mean;
        squares += d * d;
      }
      // xhat = (x - mean) / sqrt(var + eps);  y = gamma * xhat + beta
      const float invStd = static_cast<float>(1.0 / std::sqrt(squares / N + affine_.epsilon));
      invStd_[g] = invStd;
      for (int k = 0; k < N; ++k) {
        const int64_t j = base + int64_t(k) * I;
        const float xhat = static_cast<float>(x[j] - mean) * invStd;
        normalized_[j] = xhat;
        y[j] = (gamma_ ? gamma_->value[k] : 1.f) * xhat + (beta_ ? beta_->value[k] : 0.f);
      }
    }
  }

  void onBackward(const BackwardPass& pass) override {
    const Tensor& dy = *pass.outputGrads[0];
    Tensor* dx = pass.inputGrads[0];
    const int64_t groups = int64_t(dy.dim(0)) * leading_ * trailing_;
    const int N = group_, I = trailing_;
    for (int64_t g = 0; g < groups; ++g) {
      const int64_t base = (g / I) * N * I + g % I;
      double sumG = 0, sumGXhat = 0;
      for (int k = 0; k < N; ++k) {
        const int64_t j = base + int64_t(k) * I;
        // dgamma += dy * xhat;  dbeta += dy
        if (gamma_) gamma_->grad[k] += dy[j] * normalized_[j];
        if (beta_) beta_->grad[k] += dy[j];
        const double gj = double(dy[j]) * (gamma_ ? gamma_->value[k] : 1.f);
        sumG += gj;
        sumGXhat += gj * normalized_[j];
      }
      if (!dx) continue;
      const double meanG = sumG / N, meanGXhat = sumGXhat / N;
      // dx += invStd * (g - mean(g) - xhat * mean(g * xhat)),  g = dy * gamma
      for (int k = 0; k < N; ++k) {
        const int64_t j = base + int64_t(k) * I;
        const double gj = double(dy[j]) * (gamma_ ? gamma_->value[k] : 1.f);
        (*dx)[j] += static_cast<float>(invStd_[g] * (gj - meanG - normalized_[j] * meanGXhat));
      }
    }
  }

 private:
  std::vector<int> axes_;
  AffineNormalization affine_;
  int leading_ = 1, group_ = 1, trailing_ = 1;
  Param* gamma_ = nullptr;
  Param* beta_ = nullptr;
  Tensor normalized_, invStd_;
};

}  // namespace

ATTN_REGISTER_LAYER(LayerNormalization, "layerNormalization", "LayerNormalization")

}  // namespace attn
