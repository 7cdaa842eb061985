// Dot: per-sample dot product of two tensors along one axis each, as keras.layers.Dot.
//   x (B, [M,] K) or (B, K, [M]) and y (B, K, [N]) or (B, [N,] K), contracted over the axes
//   `axes` (int or [ax, ay], batch = axis 0, negative allowed; per-sample rank 1 or 2 each):
//   out[b] = op(x_b) op(y_b) -> (B, [M,] [N]), or (B, 1) when both inputs are vectors (Keras).
//   normalize: x and y are first L2-normalized along their contracted axes (cosine proximity).
// No parameters; no output mask (as Keras' Dot).
#include <cmath>

#include "core/check.h"
#include "core/config.h"
#include "kernels/kernels.h"
#include "layers/axes.h"
#include "layers/registry.h"

namespace attn {
namespace {

using kernels::Trans;

// Keras' l2_normalize floor on the squared norm.
constexpr float kNormEpsilon = 1e-12f;

// One operand of the per-sample product, as a matrix in storage order.
struct Operand {
  Shape shape;        // per sample
  int axis = 0;       // contracted per-sample axis
  int rows = 1, cols = 1;  // stored matrix (a vector is one row)
  int free = 1;       // the dimension that survives (1 for a vector)
  int64_t size() const { return int64_t(rows) * cols; }
};

class Dot final : public Layer {
 public:
  using Layer::Layer;

  const char* className() const override { return "Dot"; }
  // Keras' axes: one axis for both inputs, or a pair.
  void visitOptions(OptionList& o) override {
    o.custom(
        "axes",
        [&](const Json& axes) {
          if (axes.is_number_integer()) {
            axes_[0] = axes_[1] = axes.get<int>();
          } else {
            const bool pair = axes.is_array() && axes.size() == 2 && axes[0].is_number_integer() &&
                              axes[1].is_number_integer();
            o.require(pair, "option 'axes' must be an integer or a pair of integers, got ", axes.dump());
            axes_[0] = axes[0].get<int>();
            axes_[1] = axes[1].get<int>();
          }
        },
        [&] { return axes_[0] == axes_[1] ? Json(axes_[0]) : Json::array({axes_[0], axes_[1]}); });
    o.boolean("normalize", normalize_, false);
  }

  std::vector<Shape> onBuild(const std::vector<Shape>& in, ParamStore&) override {
    for (int i = 0; i < 2; ++i) {
      ATTN_CHECK(in[i].rank == 1 || in[i].rank == 2, name_, ": expected inputs of rank 2 or 3 (batch included), got ",
                 in[i].str(true), " (input ", i, ")");
      Operand& op = operands_[i];
      op.shape = in[i];
      op.axis = axes::sampleAxis(name_, "axes", axes_[i], in[i].rank);
      op.rows = in[i].rank == 2 ? in[i][0] : 1;
      op.cols = in[i].back();
      op.free = in[i].rank == 2 ? in[i][1 - op.axis] : 1;
    }
    const int kx = operands_[0].shape[operands_[0].axis], ky = operands_[1].shape[operands_[1].axis];
    ATTN_CHECK(kx == ky, name_, ": the contracted axes must have the same size, got ", kx, " (axis ", axes_[0],
               " of ", in[0].str(true), ") and ", ky, " (axis ", axes_[1], " of ", in[1].str(true), ")");
    depth_ = kx;
    Shape out;
    for (int i = 0; i < 2; ++i)
      if (operands_[i].shape.rank == 2) out.dims[out.rank++] = operands_[i].free;
    if (out.rank == 0) out = Shape{1};
    outShape_ = out;
    setOutputCount(1);
    return {out};
  }

  InputSpec inputSpec() const override { return {2, 2}; }

  void onForward(const ForwardPass& pass) override {
    const Tensor& x = *pass.inputs[0];
    const Tensor& y = *pass.inputs[1];
    const int batch = x.dim(0);
    const float* a = x.data();
    const float* b = y.data();
    if (normalize_) {
      // x / ||x||, y / ||y|| along the contracted axes (norms kept for backward)
      normalizeForward(operands_[0], x, normalized_[0], norms_[0]);
      normalizeForward(operands_[1], y, normalized_[1], norms_[1]);
      a = normalized_[0].data();
      b = normalized_[1].data();
    }
    Tensor& out = outputs_[0];
    out.resize(outShape_.withBatch(batch));
    const Operand &ox = operands_[0], &oy = operands_[1];
    const int M = ox.free, N = oy.free;
    // out[b] = op(x_b) op(y_b): op transposes an operand whose contracted axis is its first
    for (int s = 0; s < batch; ++s)
      kernels::gemm(transOf(ox, true), transOf(oy, false), M, N, depth_, 1.f, a + s * ox.size(), ox.cols,
                    b + s * oy.size(), oy.cols, 0.f, out.data() + int64_t(s) * M * N, N);
  }

  void onBackward(const BackwardPass& pass) override {
    const Tensor& dOut = *pass.outputGrads[0];
    Tensor* dx = pass.inputGrads[0];
    Tensor* dy = pass.inputGrads[1];
    if (!dx && !dy) return;
    const int batch = dOut.dim(0);
    const Operand &ox = operands_[0], &oy = operands_[1];
    const int M = ox.free, N = oy.free, K = depth_;
    const float* a = normalize_ ? normalized_[0].data() : pass.inputs[0]->data();
    const float* b = normalize_ ? normalized_[1].data() : pass.inputs[1]->data();
    // With normalize the gradients land on the normalized operands first.
    float* ga = nullptr;
    float* gb = nullptr;
    if (dx) {
      if (normalize_) {
        scratch_[0].resize(pass.inputs[0]->shape());
        scratch_[0].zero();
      }
      ga = normalize_ ? scratch_[0].data() : dx->data();
    }
    if (dy) {
      if (normalize_) {
        scratch_[1].resize(pass.inputs[1]->shape());
        scratch_[1].zero();
      }
      gb = normalize_ ? scratch_[1].data() : dy->data();
    }
    const Trans ta = transOf(ox, true), tb = transOf(oy, false);
    for (int s = 0; s < batch; ++s) {
      const float* g = dOut.data() + int64_t(s) * M * N;
      const float* as = a + s * ox.size();
      const float* bs = b + s * oy.size();
      if (ga) {
        float* gas = ga + s * ox.size();
        if (ta == Trans::No)  // dA (M x K) += dOut op(B)^T
          kernels::gemm(Trans::No, tb == Trans::No ? Trans::Yes : Trans::No, M, K, N, 1.f, g, N, bs, oy.cols, 1.f,
                        gas, ox.cols);
        else  // A stored (K x M): dA += op(B) dOut^T
          kernels::gemm(tb, Trans::Yes, K, M, N, 1.f, bs, oy.cols, g, N, 1.f, gas, ox.cols);
      }
      if (gb) {
        float* gbs = gb + s * oy.size();
        if (tb == Trans::No)  // dB (K x N) += op(A)^T dOut
          kernels::gemm(ta == Trans::No ? Trans::Yes : Trans::No, Trans::No, K, N, M, 1.f, as, ox.cols, g, N, 1.f,
                        gbs, oy.cols);
        else  // B stored (N x K): dB += dOut^T op(A)
          kernels::gemm(Trans::Yes, ta, N, K, M, 1.f, g, N, as, ox.cols, 1.f, gbs, oy.cols);
      }
    }
    if (normalize_) {
      if (dx) normalizeBackward(operands_[0], normalized_[0], norms_[0], scratch_[0], *dx);
      if (dy) normalizeBackward(operands_[1], normalized_[1], norms_[1], scratch_[1], *dy);
    }
  }

  const Tensor* outputMask(int) const override { return nullptr; }

 private:
  // op(x) must be (M x K) for the left operand and (K x N) for the right one.
  static Trans transOf(const Operand& op, bool left) {
    const bool contractedIsLast = op.axis == op.shape.rank - 1;
    if (op.shape.rank == 1) return left ? Trans::No : Trans::Yes;  // a row vector: (1 x K) or (K x 1)
    return left == contractedIsLast ? Trans::No : Trans::Yes;
  }

  // Views each sample as (outer, K, inner) around its contracted axis.
  static void splitOperand(const Operand& op, int& outer, int& inner) {
    int extent;
    axes::splitAround(op.shape, op.axis, outer, extent, inner);
  }

  void normalizeForward(const Operand& op, const Tensor& x, Tensor& xn, Tensor& norms) {
    int outer, inner;
    splitOperand(op, outer, inner);
    const int K = depth_;
    const int64_t groups = int64_t(x.dim(0)) * outer;
    xn.resize(x.shape());
    norms.resize(Shape{static_cast<int>(groups), inner});
    for (int64_t o = 0; o < groups; ++o)
      for (int i = 0; i < inner; ++i) {
        const float* v = x.data() + o * K * inner + i;
        double squares = 0;
        for (int k = 0; k < K; ++k) squares += double(v[int64_t(k) * inner]) * v[int64_t(k) * inner];
        // n = sqrt(max(sum x^2, eps)); xn = x / n
        const float n = static_cast<float>(std::sqrt(std::fmax(squares, double(kNormEpsilon))));
        norms[o * inner + i] = squares > kNormEpsilon ? n : -n;  // sign marks the clamped case
        float* w = xn.data() + o * K * inner + i;
        for (int k = 0; k < K; ++k) w[int64_t(k) * inner] = v[int64_t(k) * inner] / n;
      }
  }

  void normalizeBackward(const Operand& op, const Tensor& xn, const Tensor& norms, const Tensor& gn, Tensor& dx) {
    int outer, inner;
    splitOperand(op, outer, inner);
    const int K = depth_;
    const int64_t groups = int64_t(dx.dim(0)) * outer;
    for (int64_t o = 0; o < groups; ++o)
      for (int i = 0; i < inner; ++i) {
        const float signedNorm = norms[o * inner + i];
        const float n = std::fabs(signedNorm);
        const int64_t base = o * K * inner + i;
        double along = 0;
        if (signedNorm > 0)
          for (int k = 0; k < K; ++k) along += double(gn[base + int64_t(k) * inner]) * xn[base + int64_t(k) * inner];
        // dx += (g - xn (g . xn)) / n   (just g / n where the norm was clamped to eps)
        for (int k = 0; k < K; ++k) {
          const int64_t j = base + int64_t(k) * inner;
          dx[j] += static_cast<float>((gn[j] - xn[j] * along) / n);
        }
      }
  }

  int axes_[2] = {-1, -1};
  bool normalize_ = false;
  Operand operands_[2];
  int depth_ = 0;
  Shape outShape_;
  Tensor normalized_[2], norms_[2], scratch_[2];
};

}  // namespace

ATTN_REGISTER_LAYER(Dot, "dot", "Dot")

}  // namespace attn
