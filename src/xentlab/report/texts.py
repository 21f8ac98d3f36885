"""The report's words, in English and in Chinese (the article it follows is read widely in its
Chinese translation). Formulas are plain text in the article's notation, readable anywhere."""

from __future__ import annotations

from ..checks import OneOf
from ..settings import LANGUAGE

LANGUAGES = LANGUAGE.constraint  # declared with the settings
REPORT_FORMATS = OneOf(("html", "md"))

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Why a sigmoid neuron learns slowly, and how cross-entropy cures it",
        "intro": (
            "A sigmoid neuron computes a = σ(z), z = Σ_j w_j x_j + b. Under the quadratic cost "
            "C = 1/(2n) Σ_x (y − a)² the gradient is ∂C/∂w_j = 1/n Σ_x x_j (a − y) σ'(z): when "
            "the neuron saturates (a near 0 or 1) σ'(z) is nearly 0, so a neuron that is badly "
            "wrong barely learns. Under the cross-entropy cost C = −1/n Σ_x [y ln a + (1 − y) "
            "ln(1 − a)] the σ'(z) cancels: ∂C/∂w_j = 1/n Σ_x x_j (σ(z) − y), so the larger the "
            "error, the faster the neuron learns. This report measures it three ways."
        ),
        "slowdown_title": "1. The article's experiment: one neuron, two starts",
        "slowdown_text": (
            "One neuron with input x = 1 and target y = 0 is trained from a mildly wrong start "
            "(w, b) = (0.6, 0.9), a ≈ 0.82, and from a saturated one (2, 2), a ≈ 0.98. Under the "
            "quadratic cost the saturated start loses almost nothing in its first epochs, since "
            "σ'(4) ≈ 0.018 scales its gradient; cross-entropy falls fastest at epoch 0 from "
            "either start. Costs are drawn relative to their start, since the two are in "
            "different units; a dot marks each run's steepest fall."
        ),
        "saturation_title": "2. The saturation map: every start at once",
        "saturation_text": (
            "The same neuron from each start (w, b) of a grid, at one common η: the colour is "
            "the number of epochs until |a − y| < {threshold}. Under the quadratic cost the "
            "starts with large w + b, saturated and wrong, are slow or never arrive "
            "({quadratic} of the grid needs more than 100 epochs); under cross-entropy "
            "{entropy} does."
        ),
        "compare_title": "3. Inside a network: {sizes} on {dataset}",
        "compare_text": (
            "The same network is trained under each cost from identical initial weights and the "
            "identical order of mini-batches ({init} start, η = {eta}). Probes every few "
            "mini-batches measure the validation accuracy, the cost, the share of output "
            "(example, neuron) pairs that are saturated (σ'(z) < 0.01) and wrong (|a − y| > "
            "0.5), and each layer's gradient norm ‖∂C/∂W_l‖. The output layer's δ_L = (a − y) "
            "σ'(z_L) under the quadratic cost but a − y under cross-entropy; the hidden layers' "
            "δ_l = (δ_{{l+1}} W_{{l+1}}ᵀ) ⊙ σ'(z_l) carries σ'(z) under both."
        ),
        "derive_title": "4. The algebra, checked by SymPy",
        "derive_text": (
            "The article's derivation of ∂C/∂w_j, step by step, each step verified by SymPy "
            "(✓) with every named quantity replaced by its definition; the cross-entropy found "
            "again from the gradient it should have; why it is a cost; and the output error δᴸ "
            "of a layer of outputs. Each final formula is also evaluated at seeded random points "
            "against xentlab's own gradient code."
        ),
        "derive_missing": (
            "Left out: the derivation is checked by SymPy, which is not installed "
            "(pip install sympy)."
        ),
        "table_cost": "cost",
        "table_reach": "mini-batches to {accuracy} validation accuracy",
        "censored_note": (
            "Medians over seeds. A seed that does not reach an accuracy within the {budget} "
            "mini-batches it trained counts as needing more; “> n” marks a median known only "
            "to exceed n."
        ),
        "test_accuracy": "test accuracy",
        "settings": "Settings, to reproduce this report",
        "version": "xentlab {version}, Python {python}, NumPy {numpy}",
    },
    "zh": {
        "title": "为什么 sigmoid 神经元学习缓慢，交叉熵代价函数又如何解决这个问题",
        "intro": (
            "一个 sigmoid 神经元计算 a = σ(z)，z = Σ_j w_j x_j + b。在二次代价函数 "
            "C = 1/(2n) Σ_x (y − a)² 下，梯度为 ∂C/∂w_j = 1/n Σ_x x_j (a − y) σ'(z)："
            "当神经元饱和（a 接近 0 或 1）时，σ'(z) 几乎为 0，所以错得很离谱的神经元反而学得很慢。"
            "在交叉熵代价函数 C = −1/n Σ_x [y ln a + (1 − y) ln(1 − a)] 下，σ'(z) 被约去："
            "∂C/∂w_j = 1/n Σ_x x_j (σ(z) − y)，误差越大，神经元学得越快。"
            "本报告从三个方面度量这一点。"
        ),
        "slowdown_title": "1. 文章中的实验：一个神经元，两个起点",
        "slowdown_text": (
            "输入 x = 1、目标 y = 0 的神经元分别从轻度错误的起点 (w, b) = (0.6, 0.9)（a ≈ 0.82）"
            "和饱和的起点 (2, 2)（a ≈ 0.98）开始训练。在二次代价下，饱和起点在最初几个回合几乎没有"
            "下降，因为 σ'(4) ≈ 0.018 缩小了梯度；交叉熵从两个起点出发都在第 0 个回合下降最快。"
            "由于两种代价的单位不同，图中画的是相对于起点的代价；圆点标出每次训练下降最快的回合。"
        ),
        "saturation_title": "2. 饱和图：同时考察所有起点",
        "saturation_text": (
            "同一个神经元从网格上每个起点 (w, b) 出发，以相同的 η 训练：颜色表示直到 "
            "|a − y| < {threshold} 所需的回合数。在二次代价下，w + b 较大的起点（饱和且错误）"
            "学得很慢甚至学不会（网格中 {quadratic} 的起点需要超过 100 个回合）；"
            "在交叉熵下这一比例为 {entropy}。"
        ),
        "compare_title": "3. 网络内部：{sizes}，数据集 {dataset}",
        "compare_text": (
            "同一个网络在每种代价下训练，初始权重和小批量数据的顺序完全相同"
            "（{init} 起点，η = {eta}）。"
            "每隔几个小批量测量一次：验证集准确率、代价、输出层中饱和（σ'(z) < 0.01）且错误"
            "（|a − y| > 0.5）的（样本，神经元）对所占比例，以及每一层的梯度范数 ‖∂C/∂W_l‖。"
            "在二次代价下输出层的 δ_L = (a − y) σ'(z_L)，在交叉熵下则是 a − y；隐藏层的 "
            "δ_l = (δ_{{l+1}} W_{{l+1}}ᵀ) ⊙ σ'(z_l) 在两种代价下都带有 σ'(z)。"
        ),
        "derive_title": "4. 由 SymPy 验证的推导",
        "derive_text": (
            "文章对 ∂C/∂w_j 的推导，逐步由 SymPy 验证（✓），每个记号都替换为其定义；"
            "从所要的梯度反推出交叉熵；交叉熵为何可以看做代价函数；以及输出层的误差 δᴸ。"
            "每个最终公式还在带种子的随机点上与 xentlab 自己的梯度代码做数值比较。"
        ),
        "derive_missing": ("此节从略：推导由 SymPy 验证，而 SymPy 未安装（pip install sympy）。"),
        "table_cost": "代价函数",
        "table_reach": "达到 {accuracy} 验证准确率所需的小批量数",
        "censored_note": (
            "表中为各种子的中位数。在训练的 {budget} 个小批量内未达到某一准确率的种子，"
            "按需要更多小批量计入；“> n”表示中位数只知道大于 n。"
        ),
        "test_accuracy": "测试准确率",
        "settings": "设置（用于复现本报告）",
        "version": "xentlab {version}，Python {python}，NumPy {numpy}",
    },
}
