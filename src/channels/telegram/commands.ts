import type { BotCommand } from 'grammy/types';

/**
 * The command menu shown by Telegram (setMyCommands). Every name here is one the engine already
 * understands as a slash command (src/engine/commands.ts); the descriptions are what people read.
 */
export const BOT_COMMANDS: readonly BotCommand[] = [
  { command: 'start', description: 'Bắt đầu hoặc tiếp tục phần tự đánh giá' },
  { command: 'back', description: 'Quay về câu hỏi trước' },
  { command: 'summary', description: 'Xem lại các câu đã trả lời' },
  { command: 'sua', description: 'Sửa một câu trả lời, ví dụ: /sua 3' },
  { command: 'restart', description: 'Làm lại từ đầu' },
  { command: 'cancel', description: 'Dừng phần đang làm' },
  { command: 'ketqua', description: 'Xem lại kết quả gần nhất' },
  { command: 'xoadulieu', description: 'Xóa toàn bộ dữ liệu của Anh/Chị' },
  { command: 'help', description: 'Hướng dẫn sử dụng' },
];
